//! IAM policy engine (being built).
