"""Pure Adaptive Card builders: state in, card JSON (a dict) out. No I/O, no botbuilder."""
