// Package e2e holds the end-to-end test of the scheduled chain: the built reporter binary run
// against the built fakeaws binary, as an ECS task runs against AWS. It has no code of its own;
// the test is in e2e_test.go.
package e2e
