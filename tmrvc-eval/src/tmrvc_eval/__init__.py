"""tmrvc_eval package: evaluation harness with independent judges."""
