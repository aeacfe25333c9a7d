"""The shared vocabulary: findings, periods, values, durations, the measure catalogue,
columnar frames and problems. Every other stage may use it; it uses none of them."""
