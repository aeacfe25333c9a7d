"""csc-alerting: rules-driven alerting and exception notices for children's services."""

__version__ = "0.1.0"
