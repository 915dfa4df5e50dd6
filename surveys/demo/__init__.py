"""The demo: a questionnaire with every type, waves with synthetic answers, on the demo panel."""
