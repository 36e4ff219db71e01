"""The engagement aggregate: its values and whens, commands and events, `decide` and `evolve`,
and the deadlines derived from it by stated rules."""
