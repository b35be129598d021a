package emulator

// Waiting reports how many invocations wait for a runtime, so that tests
// can wait for a call to be queued instead of sleeping.
func (e *Emulator) Waiting() int { return e.rt.waiting() }
