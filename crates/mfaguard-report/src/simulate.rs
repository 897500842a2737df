//! The text answer of `mfaguard simulate`: the decision, the request and
//! its context, the deciding statements, and what the answer depends on.

use std::fmt::Write as _;

use iam_policy::{Decision, DecisionKind, Layer, MissingAllow, Reason};
use mfaguard_core::simulation::{ContextKeys, Principal};

use crate::Color;

/// What was asked, as the answer restates it.
pub struct SimulationView<'a> {
    pub action: &'a str,
    pub resource: &'a str,
    pub principal: Option<&'a str>,
    /// The identity whose real policies were used (`--from`).
    pub identity: Option<&'a Principal>,
    pub keys: &'a ContextKeys,
    pub open_world: bool,
    pub scp_levels: usize,
    /// Policies of the identity that could not be evaluated.
    pub gaps: &'a [String],
    pub scps_unknown: bool,
    /// Warnings about the request itself (an action the catalogue lacks).
    pub warnings: &'a [String],
}

fn wrap(color: Color, code: &str, text: &str) -> String {
    if color == Color::Always {
        format!("\x1b[{code}m{text}\x1b[0m")
    } else {
        text.to_string()
    }
}

fn layer_name(layer: Layer, level: Option<usize>, levels: usize) -> String {
    match layer {
        Layer::Scp => {
            let level = level.unwrap_or_default();
            let place = if levels > 1 && level == 0 {
                " (root)"
            } else if levels > 1 && level + 1 == levels {
                " (account)"
            } else {
                ""
            };
            format!("SCP level {level}{place}")
        }
        Layer::PermissionsBoundary => "permissions boundary".to_string(),
        Layer::Identity => "identity policy".to_string(),
        Layer::Resource => "resource policy".to_string(),
        Layer::Builtin => "built-in rule".to_string(),
    }
}

fn reason_line(reason: &Reason, levels: usize) -> String {
    let mut line = format!(
        "    {}: {}",
        layer_name(reason.layer, reason.scp_level, levels),
        reason.policy
    );
    if let Some(index) = reason.statement {
        let _ = write!(line, ", Statement[{index}]");
    }
    if let Some(sid) = &reason.sid {
        let _ = write!(line, " Sid {sid}");
    }
    let _ = write!(line, ": {}", reason.effect);
    if reason.conditional {
        line.push_str(" (if the unknown keys let it apply)");
    }
    if let Some(note) = reason.note {
        let _ = write!(line, " — {note}");
    }
    line
}

fn missing_line(missing: &MissingAllow, levels: usize) -> String {
    let what = match missing.layer {
        Layer::Scp => format!(
            "{}: no service control policy at this level allows the action",
            layer_name(Layer::Scp, missing.scp_level, levels)
        ),
        Layer::PermissionsBoundary => {
            "the permissions boundary: it does not allow the action".to_string()
        }
        Layer::Identity => "the identity policies: none allows the action".to_string(),
        Layer::Resource => {
            "the resource policy: it does not allow this principal the action".to_string()
        }
        Layer::Builtin => "a built-in rule".to_string(),
    };
    format!("  No Allow in {what}\n")
}

/// Renders a simulation's decision for a terminal or a text file.
pub fn render_simulation(view: &SimulationView<'_>, decision: &Decision, color: Color) -> String {
    let (word, code) = match decision.kind {
        DecisionKind::Allowed => ("ALLOWED", "1;32"),
        DecisionKind::ImplicitDeny => ("DENIED (implicit: nothing allows it)", "1;33"),
        DecisionKind::ExplicitDeny => ("DENIED (explicit Deny)", "1;31"),
    };
    let mut out = String::new();
    out.push_str(&wrap(color, code, word));
    if !decision.depends_on.is_empty() {
        out.push_str(" (if the unknown keys allow it)");
    }
    out.push('\n');
    let _ = write!(out, "  request: {} on {}", view.action, view.resource);
    if let Some(principal) = view.principal {
        let _ = write!(out, " by {principal}");
    }
    out.push('\n');
    for warning in view.warnings {
        let _ = writeln!(out, "  {} {warning}", wrap(color, "1;33", "warning:"));
    }
    if let Some(identity) = view.identity {
        let _ = writeln!(
            out,
            "  policies of the {} {} ({})",
            identity.kind, identity.name, identity.arn
        );
    }
    if !view.gaps.is_empty() {
        let _ = writeln!(
            out,
            "  {} some policies could not be evaluated, so this decision may be wrong:",
            wrap(color, "1;33", "warning:")
        );
        for gap in view.gaps {
            let _ = writeln!(out, "    - {gap}");
        }
    }
    if view.keys.is_empty() {
        let _ = writeln!(
            out,
            "  context: no keys ({})",
            if view.open_world {
                "every key unknown"
            } else {
                "every key absent"
            }
        );
    } else {
        let _ = writeln!(
            out,
            "  context{}:",
            if view.open_world {
                " (keys not listed are unknown)"
            } else {
                " (keys not listed are absent)"
            }
        );
        for (key, value) in view.keys.iter() {
            let _ = writeln!(out, "    {key} = {}", value.to_text());
        }
    }

    if !decision.reasons.is_empty() {
        let heading = match decision.kind {
            DecisionKind::ExplicitDeny => "Denied by",
            DecisionKind::Allowed => "Allowed by",
            DecisionKind::ImplicitDeny => "Allowed by (not enough on its own)",
        };
        let _ = writeln!(out, "  {heading}:");
        for reason in &decision.reasons {
            let _ = writeln!(out, "{}", reason_line(reason, view.scp_levels));
        }
    }
    if let Some(missing) = &decision.missing_allow {
        out.push_str(&missing_line(missing, view.scp_levels));
    }
    if !decision.depends_on.is_empty() {
        let keys: Vec<&str> = decision.depends_on.iter().map(String::as_str).collect();
        let _ = writeln!(
            out,
            "  Depends on the unknown keys: {} (assumed in the least safe way)",
            keys.join(", ")
        );
    }
    if view.scps_unknown {
        let _ = writeln!(
            out,
            "note: service control policies are not in the inputs and were not evaluated \
             (an SCP could still deny this)"
        );
    }
    out
}
