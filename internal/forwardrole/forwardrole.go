// Package forwardrole lets package proxy reuse the bridge's forwarding
// under its own names: the errors a caller gets say "the proxy" and "the
// backend" rather than "the bridge" and "the upstream", without the bridge
// exporting an option about its words.
package forwardrole

// Option returns a bridge.Option (as any) naming the forwarder self (such
// as "proxy") and what it forwards to upstream (such as "backend") in the
// errors callers get. Package bridge sets it when it is initialised.
var Option func(self, upstream string) any
