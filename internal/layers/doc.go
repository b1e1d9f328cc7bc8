// Package layers holds the test that keeps the walls between the product's packages: the types
// every stage shares sit in leaf packages, only the store links DuckDB, data flows one way
// (collect -> store -> analyze -> render -> deliver) and the emulator stands apart. It has no code
// of its own; the test is in layers_test.go.
package layers
