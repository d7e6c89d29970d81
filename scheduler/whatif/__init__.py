"""What-if capacity planning: scenarios, sweeps and the parallel runner that solves them."""
