"""Domain logic as plain functions that take skeletons or values; unit-testable without HTTP."""
