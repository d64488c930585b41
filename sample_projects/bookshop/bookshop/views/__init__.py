"""HTTP views, one module per blueprint."""
