//! One request evaluated against policies given as files, or against the
//! real policies of a user or role of an exported account: the logic behind
//! `mfaguard simulate`, here so that any front end (the CLI, tests, a later
//! web page) builds the same request.

mod context;
mod inputs;
mod principal;

pub use context::{ContextKeys, KeyValue, MfaRow, MFA_AGE, MFA_PRESENT};
pub use inputs::{load_account, parse_context_entry, read_context_file, read_policy, scp_files};
pub use principal::{account_policies, find_principal, AccountPolicies, Found, Principal};

use crate::error::InputError;

/// Why a simulation could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum SimulationError {
    #[error(transparent)]
    Input(#[from] InputError),
    /// A request argument that cannot be used (a context entry, an SCP level).
    #[error("{0}")]
    Request(String),
    /// The user or role asked for is not in the account, or is ambiguous.
    #[error("{0}")]
    Principal(String),
}

/// A warning about an action the catalogue does not list, with the closest
/// actions it does list; `None` when the action is known (or a pattern).
/// The answer is still given: the catalogue may lag behind AWS.
pub fn unknown_action_warning(action: &str) -> Option<String> {
    if action.contains(['*', '?']) {
        return None;
    }
    let catalog = iam_policy::catalog::try_catalog().ok()?;
    if catalog.lookup(action).is_some() {
        return None;
    }
    let mut warning = if action.contains(':') {
        format!(
            "`{action}` is not an action in the embedded catalogue ({} actions, {})",
            crate::words::thousands(catalog.len()),
            catalog.source()
        )
    } else {
        format!("`{action}` is not an action: actions are written service:ActionName")
    };
    let close: Vec<String> = catalog
        .closest(action, 3)
        .into_iter()
        .map(|info| info.full_name())
        .collect();
    if !close.is_empty() {
        warning.push_str(&format!("; did you mean {}?", close.join(", ")));
    }
    Some(warning)
}
