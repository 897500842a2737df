//! The requests an enforcement analysis asks about: every action of the
//! embedded catalogue, each on a representative resource, plus the resources
//! an identity's own policies name.
//!
//! A representative resource is the action's first required resource type
//! rendered from its ARN format with placeholder names. An identity whose
//! policy allows `s3:GetObject` only on `arn:aws:s3:::payroll/*` would look
//! denied on a placeholder bucket, so [`ResourceCandidates`] also turns every
//! resource pattern of an Allow statement into a concrete ARN that the
//! pattern matches.

use std::collections::HashMap;
use std::ops::Range;
use std::sync::OnceLock;

use iam_policy::catalog::{self, AccessLevel};
use iam_policy::PolicySet;

/// Placeholder for resource names in representative ARNs.
pub const PLACEHOLDER: &str = "mfaguard-example";
/// Region used in representative ARNs.
pub const PLACEHOLDER_REGION: &str = "us-east-1";

/// What a person needs without MFA to set MFA up, from the AWS IAM User
/// Guide's policy "Allows MFA-authenticated IAM users to manage their own
/// MFA device" (its `BlockMostAccessUnlessSignedInWithMFA` statement), plus
/// changing a first-time password and reading the password policy, which
/// console sign-in requires before anything else. `sts:GetCallerIdentity`
/// and `sts:GetSessionToken` are not controlled by policies at all.
pub const SELF_ENROLMENT_ACTIONS: &[&str] = &[
    "iam:CreateVirtualMFADevice",
    "iam:EnableMFADevice",
    "iam:GetMFADevice",
    "iam:GetUser",
    "iam:ListMFADevices",
    "iam:ListVirtualMFADevices",
    "iam:ResyncMFADevice",
    "iam:ChangePassword",
    "iam:GetAccountPasswordPolicy",
    "sts:GetSessionToken",
    "sts:GetCallerIdentity",
];

/// True for an action people may perform without MFA under enforcement.
pub fn is_self_enrolment(action: &str) -> bool {
    SELF_ENROLMENT_ACTIONS
        .iter()
        .any(|exempt| exempt.eq_ignore_ascii_case(action))
}

/// One action of the catalogue, ready to be asked about.
#[derive(Debug, Clone)]
pub struct UniverseAction {
    /// `service:Action`.
    pub name: String,
    pub service: String,
    pub access_level: AccessLevel,
    /// ARN format of the representative resource, with `${...}` fields;
    /// `*` for actions without a resource type.
    resource_format: String,
}

/// Every catalogue action except the self-enrolment ones.
#[derive(Debug)]
pub struct Universe {
    /// Sorted by name, so each service's actions are contiguous.
    pub actions: Vec<UniverseAction>,
    /// Lowercase service prefix → its actions' index range.
    services: HashMap<String, Range<usize>>,
    /// Where each service's actions begin (but the first), ascending.
    service_starts: Vec<usize>,
}

/// The universe, built once from the embedded catalogue.
pub fn universe() -> &'static Universe {
    static UNIVERSE: OnceLock<Universe> = OnceLock::new();
    UNIVERSE.get_or_init(|| {
        let catalog = catalog::catalog();
        let mut actions: Vec<UniverseAction> = catalog
            .actions()
            .filter_map(|info| {
                let name = info.full_name();
                if is_self_enrolment(&name) {
                    return None;
                }
                let resource_type = info
                    .resource_types
                    .iter()
                    .find(|resource| resource.required)
                    .or_else(|| info.resource_types.first());
                let resource_format = resource_type
                    .and_then(|resource| catalog.resource_arn_format(&info.service, &resource.name))
                    .unwrap_or("*")
                    .to_string();
                Some(UniverseAction {
                    name,
                    service: info.service.to_string(),
                    access_level: info.access_level,
                    resource_format,
                })
            })
            .collect();
        actions.sort_by(|a, b| a.name.cmp(&b.name));
        let mut services: HashMap<String, Range<usize>> = HashMap::new();
        for (index, action) in actions.iter().enumerate() {
            services
                .entry(action.service.to_ascii_lowercase())
                .and_modify(|range| range.end = index + 1)
                .or_insert(index..index + 1);
        }
        let mut service_starts: Vec<usize> = services
            .values()
            .map(|range| range.start)
            .filter(|&start| start > 0)
            .collect();
        service_starts.sort_unstable();
        Universe {
            actions,
            services,
            service_starts,
        }
    })
}

impl Universe {
    /// The indices of the actions an identity-policy Allow of `set` can
    /// cover: nothing outside them can be allowed, since an identity-based
    /// request needs an Allow in the identity policies.
    pub fn allowable(&self, set: &PolicySet) -> Vec<Range<usize>> {
        let everything = std::iter::once(0..self.actions.len()).collect();
        let mut services: Vec<&str> = Vec::new();
        for (_, policy) in set.identity_policies() {
            for statement in &policy.statements {
                if statement.effect != iam_policy::Effect::Allow {
                    continue;
                }
                if statement.action.negated {
                    return everything;
                }
                for pattern in &statement.action.patterns {
                    match pattern.service() {
                        Some(service) => services.push(service),
                        None => return everything,
                    }
                }
            }
        }
        services.sort_unstable();
        services.dedup();
        services
            .into_iter()
            .filter_map(|service| self.services.get(service).cloned())
            .collect()
    }

    /// `range` cut where the service changes: one range per service.
    pub fn service_ranges(&self, range: Range<usize>) -> Vec<Range<usize>> {
        // The first index of every service after the first, ascending.
        let first = self
            .service_starts
            .partition_point(|&start| start <= range.start);
        let mut ranges = Vec::new();
        let mut start = range.start;
        for &next in self.service_starts[first..]
            .iter()
            .take_while(|&&next| next < range.end)
        {
            ranges.push(start..next);
            start = next;
        }
        if start < range.end {
            ranges.push(start..range.end);
        }
        ranges
    }

    /// The representative resource of every action, for one account.
    pub fn representative_resources(&self, partition: &str, account: &str) -> Vec<String> {
        self.actions
            .iter()
            .map(|action| render_format(&action.resource_format, partition, account))
            .collect()
    }
}

/// Renders an ARN format such as
/// `arn:${Partition}:s3:::${BucketName}/${ObjectName}`.
fn render_format(format: &str, partition: &str, account: &str) -> String {
    if format == "*" {
        return format.to_string();
    }
    replace_variables(format, |name| {
        match name {
            "Partition" => partition,
            "Account" => account,
            "Region" => PLACEHOLDER_REGION,
            _ => PLACEHOLDER,
        }
        .to_string()
    })
}

/// Replaces every `${NAME}` of `text` with `value(NAME)`; an unterminated
/// `${` is kept as it is.
fn replace_variables(text: &str, value: impl Fn(&str) -> String) -> String {
    if !text.contains("${") {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len() + 16);
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let Some(end) = after.find('}') else {
            out.push_str(&rest[start..]);
            return out;
        };
        out.push_str(&value(&after[..end]));
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    out
}

/// Concrete resources made from the resource patterns the Allow statements
/// of a policy set name.
#[derive(Debug, Default)]
pub struct ResourceCandidates {
    /// `(lowercase service of the ARN or "*", concrete ARN)`.
    resources: Vec<(String, String)>,
}

/// Who the requests are made as, for substituting policy variables in the
/// patterns that become candidates.
#[derive(Debug, Clone, Copy)]
pub struct Principal<'a> {
    pub partition: &'a str,
    pub account: &'a str,
    /// The user name (`aws:username`); `None` for roles.
    pub user_name: Option<&'a str>,
}

impl ResourceCandidates {
    /// Collects the resource patterns of every Allow statement (identity
    /// policies and the permissions boundary) that is more specific than
    /// `*`.
    pub fn of(set: &PolicySet, principal: Principal<'_>) -> ResourceCandidates {
        let mut resources = Vec::new();
        let boundary = set.boundary_policies().into_iter().flatten();
        for (_, policy) in set.identity_policies().chain(boundary) {
            for statement in &policy.statements {
                if statement.effect != iam_policy::Effect::Allow {
                    continue;
                }
                let Some(block) = &statement.resource else {
                    continue;
                };
                if block.negated {
                    continue;
                }
                for pattern in &block.patterns {
                    if let Some(concrete) = instantiate(&pattern.text, principal) {
                        resources.push(concrete);
                    }
                }
            }
        }
        resources.sort();
        resources.dedup();
        ResourceCandidates { resources }
    }

    /// The candidates that can concern `service` (an ARN of that service,
    /// or a pattern whose service field is a wildcard).
    pub fn for_service<'s>(&'s self, service: &'s str) -> impl Iterator<Item = &'s str> + 's {
        self.resources
            .iter()
            .filter(move |(arn_service, _)| {
                arn_service == "*" || arn_service.eq_ignore_ascii_case(service)
            })
            .map(|(_, arn)| arn.as_str())
    }
}

/// A concrete ARN matched by `pattern`, or `None` for `*` (the
/// representative resource already covers it) and for text that is not an
/// ARN.
fn instantiate(pattern: &str, principal: Principal<'_>) -> Option<(String, String)> {
    if pattern == "*" {
        return None;
    }
    let substituted = substitute_variables(pattern, principal);
    let fields: Vec<&str> = substituted.splitn(6, ':').collect();
    if fields.len() != 6 || fields[0] != "arn" {
        return None;
    }
    let partition = if fields[1].contains(['*', '?']) {
        principal.partition
    } else {
        fields[1]
    };
    let service = fields[2].to_ascii_lowercase();
    let region = fill_wildcards(fields[3], PLACEHOLDER_REGION);
    let account = if fields[4].contains(['*', '?']) {
        principal.account.to_string()
    } else {
        fields[4].to_string()
    };
    let resource = fill_wildcards(fields[5], PLACEHOLDER);
    let service_key = if service.contains(['*', '?']) {
        "*".to_string()
    } else {
        service.clone()
    };
    let service_field = if service.contains(['*', '?']) {
        fill_wildcards(&service, "x")
    } else {
        fields[2].to_string()
    };
    Some((
        service_key,
        format!("arn:{partition}:{service_field}:{region}:{account}:{resource}"),
    ))
}

/// Replaces a field made only of wildcards with `whole`, and wildcards
/// inside text with short literals.
fn fill_wildcards(field: &str, whole: &str) -> String {
    if !field.is_empty() && field.chars().all(|c| c == '*' || c == '?') {
        return whole.to_string();
    }
    field.replace('*', PLACEHOLDER).replace('?', "x")
}

/// Substitutes `${aws:username}` with the user's name; every other variable
/// becomes the placeholder (a value the analysis does not know).
fn substitute_variables(pattern: &str, principal: Principal<'_>) -> String {
    replace_variables(pattern, |variable| {
        let variable = variable.trim();
        let (key, default) = match variable.split_once(',') {
            Some((key, default)) => (key.trim(), Some(default.trim().trim_matches('\''))),
            None => (variable, None),
        };
        match key.to_ascii_lowercase().as_str() {
            "aws:username" => principal.user_name.or(default).unwrap_or(PLACEHOLDER),
            "aws:principalaccount" => principal.account,
            "*" => "*",
            "?" => "?",
            "$" => "$",
            _ => default.unwrap_or(PLACEHOLDER),
        }
        .to_string()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALICE: Principal<'static> = Principal {
        partition: "aws",
        account: "111122223333",
        user_name: Some("alice"),
    };

    #[test]
    fn renders_formats() {
        assert_eq!(
            render_format(
                "arn:${Partition}:iam::${Account}:user/${UserNameWithPath}",
                "aws",
                "111122223333"
            ),
            "arn:aws:iam::111122223333:user/mfaguard-example"
        );
        assert_eq!(render_format("*", "aws", "1"), "*");
    }

    #[test]
    fn instantiates_patterns() {
        assert_eq!(
            instantiate("arn:aws:iam::*:user/${aws:username}", ALICE),
            Some((
                "iam".to_string(),
                "arn:aws:iam::111122223333:user/alice".to_string()
            ))
        );
        assert_eq!(
            instantiate("arn:aws:s3:::payroll/*", ALICE),
            Some((
                "s3".to_string(),
                "arn:aws:s3:::payroll/mfaguard-example".to_string()
            ))
        );
        assert_eq!(instantiate("*", ALICE), None);
        assert_eq!(instantiate("not-an-arn", ALICE), None);
    }

    #[test]
    fn service_ranges_cut_at_each_service() {
        let universe = universe();
        let whole = universe.service_ranges(0..universe.actions.len());
        assert!(whole.len() > 100);
        for range in &whole {
            let service = &universe.actions[range.start].service;
            assert!(universe.actions[range.clone()]
                .iter()
                .all(|action| action.service.eq_ignore_ascii_case(service)));
        }
        assert_eq!(
            whole.iter().map(|range| range.len()).sum::<usize>(),
            universe.actions.len()
        );
        let inner = whole[3].start + 1..whole[5].start + 1;
        assert_eq!(
            universe.service_ranges(inner.clone()),
            vec![
                inner.start..whole[4].start,
                whole[4].clone(),
                whole[5].start..inner.end
            ]
        );
    }

    #[test]
    fn self_enrolment_is_case_insensitive() {
        assert!(is_self_enrolment("IAM:listmfadevices"));
        assert!(!is_self_enrolment("iam:DeactivateMFADevice"));
    }
}
