"""Write services of the city model (one module per subdomain)."""
