//! The compliance mapping in code against its sources: the per-version CIS
//! table and the Security Hub table of `docs/compliance-sources.md`, the
//! references every check carries, and the catalogue in
//! `docs/compliance.md`.

use std::collections::BTreeSet;
use std::path::Path;

use mfaguard_core::checks;
use mfaguard_core::compliance::{self, Basis};

fn doc(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../docs")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|err| panic!("{}: {err}", path.display()))
}

fn cells(line: &str) -> Vec<String> {
    line.trim()
        .trim_matches('|')
        .split('|')
        .map(|cell| cell.trim().replace("**", ""))
        .collect()
}

/// The published controls of `framework` that `check` decides.
fn published(framework: &str, check: &str) -> BTreeSet<String> {
    compliance::requirements_of(check)
        .into_iter()
        .filter(|r| r.framework == framework && r.basis == Basis::Published)
        .map(|r| r.control.to_string())
        .collect()
}

const CIS_COLUMNS: [&str; 10] = [
    "cis-aws-1.2",
    "cis-aws-1.3",
    "cis-aws-1.4",
    "cis-aws-1.5",
    "cis-aws-2.0",
    "cis-aws-3.0",
    "cis-aws-4.0",
    "cis-aws-5.0",
    "cis-aws-6.0",
    "cis-aws-7.0",
];

#[test]
fn cis_numbers_match_the_sources_table() {
    let sources = doc("compliance-sources.md");
    let mut rows = 0;
    let mut in_table = false;
    for line in sources.lines() {
        if line.starts_with("| mfaguard check | v1.2.0") {
            in_table = true;
            continue;
        }
        if !in_table || line.starts_with("|---") {
            continue;
        }
        if !line.starts_with('|') {
            break;
        }
        let row = cells(line);
        let check = &row[0];
        assert!(
            checks::is_known(check),
            "unknown check {check} in the table"
        );
        for (framework, number) in CIS_COLUMNS.iter().zip(&row[1..]) {
            assert_eq!(
                published(framework, check),
                BTreeSet::from([number.clone()]),
                "{check} in {framework}"
            );
        }
        rows += 1;
    }
    assert_eq!(rows, 4, "the CIS table of docs/compliance-sources.md");
    // The other checks have no CIS number in any version.
    for check in checks::all() {
        let id = check.meta().id;
        if !sources.contains(&format!("| {id} | ")) {
            for framework in CIS_COLUMNS {
                assert!(published(framework, id).is_empty(), "{id} in {framework}");
            }
        }
    }
}

#[test]
fn security_hub_and_fsbp_match_the_sources_table() {
    let sources = doc("compliance-sources.md");
    let mut rows = 0;
    for line in sources.lines().filter(|l| l.starts_with("| IAM.")) {
        let row = cells(line);
        let (control, check, in_fsbp) = (&row[0], &row[2], &row[4]);
        if !checks::is_known(check) {
            // IAM.19 covers every user: no check of ours decides it alone.
            continue;
        }
        assert_eq!(
            compliance::security_hub_control(check),
            Some(control.as_str())
        );
        let expected = if in_fsbp.starts_with("yes") {
            BTreeSet::from([control.clone()])
        } else {
            BTreeSet::new()
        };
        assert_eq!(published("aws-fsbp", check), expected, "{check} in FSBP");
        rows += 1;
    }
    assert_eq!(rows, 4);
}

#[test]
fn every_checks_references_agree_with_the_mapping() {
    for check in checks::all() {
        let meta = check.meta();
        let refs = meta.references;
        let one = |framework| {
            let controls = published(framework, meta.id);
            assert!(controls.len() <= 1, "{} {framework}", meta.id);
            controls.into_iter().next()
        };
        assert_eq!(
            refs.cis_v3.map(str::to_string),
            one("cis-aws-3.0"),
            "{}",
            meta.id
        );
        assert_eq!(
            refs.cis_v5.map(str::to_string),
            one("cis-aws-5.0"),
            "{}",
            meta.id
        );
        assert_eq!(
            refs.fsbp,
            compliance::security_hub_control(meta.id),
            "{}",
            meta.id
        );
        // Every check of the catalogue is mapped somewhere.
        assert!(
            !compliance::requirements_of(meta.id).is_empty(),
            "{} maps to no control",
            meta.id
        );
    }
}

#[test]
fn the_catalogue_in_the_docs_is_the_one_in_code() {
    let docs = doc("compliance.md");
    let table = compliance::catalogue_markdown();
    assert!(
        docs.contains(&table),
        "docs/compliance.md does not contain the catalogue; paste this table:\n{table}"
    );
    for framework in compliance::frameworks() {
        assert!(
            docs.contains(&format!("`{}`", framework.id)),
            "{}",
            framework.id
        );
    }
}
