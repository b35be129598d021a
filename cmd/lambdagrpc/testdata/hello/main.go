// Command hello is a minimal main package for the build command's test.
package main

func main() {}
