"""Who receives which alert (the routing tree), and how alerts are grouped into notices."""
