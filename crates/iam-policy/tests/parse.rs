//! Parser tests: the grammar, URL-encoded documents, and errors that name the
//! JSON path (or line and column) and never panic.

use iam_policy::{
    Effect, OperatorKind, ParseError, Policy, PolicyVersion, PrincipalType, SetQualifier,
};

fn err(text: &str) -> ParseError {
    match Policy::parse(text) {
        Ok(p) => panic!("expected an error, parsed {p:?}"),
        Err(e) => e,
    }
}

fn one_statement(stmt: &str) -> String {
    format!(r#"{{"Version":"2012-10-17","Statement":[{stmt}]}}"#)
}

const FORCE_MFA: &str = include_str!("corpus/policies/force_mfa.json");

#[test]
fn parses_the_force_mfa_policy() {
    let p = Policy::parse(FORCE_MFA).expect("parses");
    assert_eq!(p.version, PolicyVersion::V2012_10_17);
    assert_eq!(p.statements.len(), 4);
    let deny = &p.statements[3];
    assert_eq!(deny.index, 3);
    assert_eq!(deny.sid.as_deref(), Some("DenyAllExceptListedIfNoMFA"));
    assert_eq!(deny.effect, Effect::Deny);
    assert!(deny.action.negated);
    assert_eq!(deny.action.patterns[0].text, "iam:CreateVirtualMFADevice");
    let c = &deny.conditions[0];
    assert_eq!(c.operator.kind, OperatorKind::Bool);
    assert!(c.operator.if_exists);
    assert_eq!(c.operator.qualifier, None);
    assert_eq!(c.operator.to_string(), "BoolIfExists");
    assert_eq!(c.key, "aws:MultiFactorAuthPresent");
    assert_eq!(c.key_lowercase(), "aws:multifactorauthpresent");
    assert_eq!(c.values, vec!["false".to_string()]);
    assert_eq!(
        deny.condition_keys().collect::<Vec<_>>(),
        vec!["aws:MultiFactorAuthPresent"]
    );
    assert!(deny.references_condition_key("AWS:MULTIFACTORAUTHPRESENT"));
    let keys = ["aws:multifactorauthpresent", "aws:MultiFactorAuthAge"];
    let hits: Vec<usize> = p.statements_referencing(&keys).map(|s| s.index).collect();
    assert_eq!(hits, vec![3]);
    assert!(p.references_condition_key("aws:MultiFactorAuthPresent"));
    assert!(!p.references_condition_key("aws:SourceIp"));
    let own = &p.statements[2];
    let res = own.resource.as_ref().expect("has Resource");
    assert!(!res.negated);
    assert_eq!(res.patterns[0].text, "arn:aws:iam::*:user/${aws:username}");
}

#[test]
fn url_encoded_documents_parse() {
    let encoded: String = FORCE_MFA
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    assert!(encoded.starts_with("%7B"));
    let p = Policy::parse(&encoded).expect("URL-encoded parses");
    assert_eq!(p.statements.len(), 4);
    assert_eq!(
        p.statements[1]
            .resource
            .as_ref()
            .map(|r| r.patterns[0].text.as_str()),
        Some("arn:aws:iam::*:mfa/${aws:username}")
    );

    // Form encoding (spaces as '+') is accepted too.
    let form = "%7B%22Version%22%3A+%222012-10-17%22%2C+%22Statement%22%3A+%7B%22Effect%22%3A+%22Allow%22%2C+%22Action%22%3A+%22s3%3AGetObject%22%2C+%22Resource%22%3A+%22*%22%7D%7D";
    let p = Policy::parse(form).expect("form-encoded parses");
    assert_eq!(p.statements[0].action.patterns[0].text, "s3:GetObject");

    // A syntax error in an encoded document says so.
    let e = err("%7B%22Version%22");
    assert!(e.message.contains("after URL-decoding"), "{e}");
    assert!(e.line.is_some());

    // Bad UTF-8 after decoding is an error, not a panic.
    let e = err("%7B%FF%FE");
    assert!(e.message.contains("UTF-8"), "{e}");
}

#[test]
fn byte_order_mark_is_ignored() {
    let p = Policy::parse(&format!("\u{feff}{FORCE_MFA}")).expect("parses");
    assert_eq!(p.statements.len(), 4);
}

#[test]
fn garbage_is_an_error() {
    for text in [
        "",
        "hello",
        "42",
        "[]",
        "null",
        "\"x\"",
        "{",
        "}{",
        "%",
        "%%%",
        "{\"Statement\":",
    ] {
        let e = err(text);
        assert!(!e.message.is_empty(), "{text:?}");
    }
    let e = err("[]");
    assert_eq!(e.path, "");
    assert_eq!(e.to_string(), "/: a policy document must be a JSON object");
}

#[test]
fn truncated_json_reports_line_and_column() {
    let text = "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [\n    {\"Effect\": \"Allow\",";
    let e = err(text);
    assert_eq!(e.path, "");
    assert_eq!(e.line, Some(4));
    assert!(e.column.is_some_and(|c| c >= 20), "{e:?}");
    assert!(e.message.contains("line 4"), "{e}");
    assert!(
        e.to_string()
            .starts_with("/: invalid JSON at line 4, column"),
        "{e}"
    );
}

#[test]
fn deep_nesting_is_an_error_not_a_crash() {
    let deep = "[".repeat(100_000);
    let e = err(&deep);
    assert!(e.line.is_some());
    let deep_obj = format!(
        "{{\"Statement\":{{\"Effect\":\"Allow\",\"Action\":{}",
        "[".repeat(50_000)
    );
    err(&deep_obj);
}

#[test]
fn unknown_operator_names_its_path() {
    let e = err(&one_statement(
        r#"{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEqualsFoo":{"aws:username":"x"}}}"#,
    ));
    assert_eq!(e.path, "/Statement/0/Condition/StringEqualsFoo");
    assert!(e.message.contains("unknown condition operator"), "{e}");
    assert_eq!(
        e.to_string(),
        "/Statement/0/Condition/StringEqualsFoo: unknown condition operator \"StringEqualsFoo\""
    );

    // A single statement object has no index in the path.
    let e = err(
        r#"{"Statement":{"Effect":"Allow","Action":"*","Condition":{"ForAllValues:Bogus":{"k":"v"}}}}"#,
    );
    assert_eq!(e.path, "/Statement/Condition/ForAllValues:Bogus");

    for bad in [
        "NullIfExists",
        "BinaryNotEquals",
        "IfExists",
        "ForAnyValue:",
        "StringEqualsIfExistsIfExists",
    ] {
        let e = err(&one_statement(&format!(
            r#"{{"Effect":"Deny","Action":"*","Resource":"*","Condition":{{"{bad}":{{"k":"true"}}}}}}"#
        )));
        assert_eq!(e.path, format!("/Statement/0/Condition/{bad}"), "{bad}");
    }
}

#[test]
fn every_operator_parses_with_every_modifier() {
    let sample = |k: OperatorKind| match k {
        OperatorKind::NumericEquals
        | OperatorKind::NumericNotEquals
        | OperatorKind::NumericLessThan
        | OperatorKind::NumericLessThanEquals
        | OperatorKind::NumericGreaterThan
        | OperatorKind::NumericGreaterThanEquals => "1800",
        OperatorKind::DateEquals
        | OperatorKind::DateNotEquals
        | OperatorKind::DateLessThan
        | OperatorKind::DateLessThanEquals
        | OperatorKind::DateGreaterThan
        | OperatorKind::DateGreaterThanEquals => "2024-01-01T00:00:00Z",
        OperatorKind::Bool | OperatorKind::Null => "true",
        OperatorKind::IpAddress | OperatorKind::NotIpAddress => "10.0.0.0/8",
        OperatorKind::ArnEquals
        | OperatorKind::ArnLike
        | OperatorKind::ArnNotEquals
        | OperatorKind::ArnNotLike => "arn:aws:iam::*:role/*",
        _ => "x",
    };
    let mut n = 0;
    for kind in OperatorKind::ALL {
        for prefix in ["", "ForAllValues:", "ForAnyValue:"] {
            for suffix in ["", "IfExists"] {
                if kind == OperatorKind::Null && !suffix.is_empty() {
                    continue;
                }
                let name = format!("{prefix}{}{suffix}", kind.name());
                let text = one_statement(&format!(
                    r#"{{"Effect":"Allow","Action":"*","Resource":"*","Condition":{{"{name}":{{"k":"{}"}}}}}}"#,
                    sample(kind)
                ));
                let p = Policy::parse(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
                let op = p.statements[0].conditions[0].operator;
                assert_eq!(op.kind, kind);
                assert_eq!(op.if_exists, !suffix.is_empty());
                assert_eq!(
                    op.qualifier,
                    match prefix {
                        "ForAllValues:" => Some(SetQualifier::ForAllValues),
                        "ForAnyValue:" => Some(SetQualifier::ForAnyValue),
                        _ => None,
                    }
                );
                assert_eq!(op.to_string(), name);
                n += 1;
            }
        }
    }
    assert_eq!(n, 27 * 6 - 3);
}

#[test]
fn bad_condition_values_name_their_path() {
    let cases = [
        (
            r#"{"NumericLessThan":{"aws:MultiFactorAuthAge":"soon"}}"#,
            "/Statement/0/Condition/NumericLessThan/aws:MultiFactorAuthAge",
            "not a number",
        ),
        (
            r#"{"NumericLessThan":{"aws:MultiFactorAuthAge":["1","x"]}}"#,
            "/Statement/0/Condition/NumericLessThan/aws:MultiFactorAuthAge/1",
            "not a number",
        ),
        (
            r#"{"DateGreaterThan":{"aws:CurrentTime":"tomorrow"}}"#,
            "/Statement/0/Condition/DateGreaterThan/aws:CurrentTime",
            "not a date",
        ),
        (
            r#"{"IpAddress":{"aws:SourceIp":"10.0.0.0/40"}}"#,
            "/Statement/0/Condition/IpAddress/aws:SourceIp",
            "not an IP",
        ),
        (
            r#"{"Bool":{"aws:SecureTransport":"yes"}}"#,
            "/Statement/0/Condition/Bool/aws:SecureTransport",
            "not a boolean",
        ),
        (
            r#"{"Null":{"aws:TokenIssueTime":"maybe"}}"#,
            "/Statement/0/Condition/Null/aws:TokenIssueTime",
            "not a boolean",
        ),
        (
            r#"{"StringEquals":{"aws:PrincipalTag/team":{"x":1}}}"#,
            "/Statement/0/Condition/StringEquals/aws:PrincipalTag~1team",
            "condition values",
        ),
        (
            r#"{"StringEquals":{"k":[null]}}"#,
            "/Statement/0/Condition/StringEquals/k/0",
            "condition values",
        ),
        (
            r#"{"StringEquals":"x"}"#,
            "/Statement/0/Condition/StringEquals",
            "expected an object",
        ),
        (
            r#"{"StringEquals":{"":"x"}}"#,
            "/Statement/0/Condition/StringEquals/",
            "empty condition key",
        ),
        (
            r#"[]"#,
            "/Statement/0/Condition",
            "Condition must be an object",
        ),
    ];
    for (cond, path, msg) in cases {
        let e = err(&one_statement(&format!(
            r#"{{"Effect":"Allow","Action":"*","Resource":"*","Condition":{cond}}}"#
        )));
        assert_eq!(e.path, path, "{cond}: {e}");
        assert!(e.message.contains(msg), "{cond}: {e}");
        assert!(e.line.is_none());
    }
}

#[test]
fn values_may_be_json_booleans_and_numbers() {
    let p = Policy::parse(&one_statement(
        r#"{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"Bool":{"aws:MultiFactorAuthPresent":false},"NumericGreaterThan":{"aws:MultiFactorAuthAge":[1800, 3600.5]}}}"#,
    ))
    .expect("parses");
    let conds = &p.statements[0].conditions;
    let bool_c = conds
        .iter()
        .find(|c| c.operator.kind == OperatorKind::Bool)
        .expect("Bool");
    assert_eq!(bool_c.values, vec!["false"]);
    let num = conds
        .iter()
        .find(|c| c.operator.kind == OperatorKind::NumericGreaterThan)
        .expect("Numeric");
    assert_eq!(num.values, vec!["1800", "3600.5"]);
}

#[test]
fn structural_errors() {
    let cases: &[(&str, &str, &str)] = &[
        (
            r#"{"Version":"2012-10-17","Statement":[],"Foo":1}"#,
            "/Foo",
            "unknown top-level element",
        ),
        (
            r#"{"version":"2012-10-17","Statement":[]}"#,
            "/version",
            "did you mean \"Version\"",
        ),
        (
            r#"{"Version":"2013-01-01","Statement":[]}"#,
            "/Version",
            "unsupported policy version",
        ),
        (
            r#"{"Version":20121017,"Statement":[]}"#,
            "/Version",
            "must be a string",
        ),
        (r#"{"Version":"2012-10-17"}"#, "", "missing Statement"),
        (r#"{"Statement":"x"}"#, "/Statement", "object or an array"),
        (
            r#"{"Statement":[1]}"#,
            "/Statement/0",
            "must be a JSON object",
        ),
        (r#"{"Id":5,"Statement":[]}"#, "/Id", "must be a string"),
    ];
    for (text, path, msg) in cases {
        let e = err(text);
        assert_eq!(&e.path, path, "{text}: {e}");
        assert!(e.message.contains(msg), "{text}: {e}");
    }

    let stmt_cases: &[(&str, &str, &str)] = &[
        (
            r#"{"Effect":"Allow","Action":"*","Actions":"x"}"#,
            "/Statement/0/Actions",
            "unknown statement element",
        ),
        (
            r#"{"effect":"Allow","Action":"*"}"#,
            "/Statement/0/effect",
            "did you mean \"Effect\"",
        ),
        (
            r#"{"Effect":"Allow","Action":"*","Version":"2012-10-17"}"#,
            "/Statement/0/Version",
            "top level",
        ),
        (
            r#"{"Action":"*","Resource":"*"}"#,
            "/Statement/0",
            "missing Effect",
        ),
        (
            r#"{"Effect":"Allow","Resource":"*"}"#,
            "/Statement/0",
            "missing Action",
        ),
        (
            r#"{"Effect":"allow","Action":"*"}"#,
            "/Statement/0/Effect",
            "\"Allow\" or \"Deny\"",
        ),
        (
            r#"{"Effect":"Allow","Action":"*","NotAction":"s3:*"}"#,
            "/Statement/0",
            "both Action and NotAction",
        ),
        (
            r#"{"Effect":"Allow","Action":"*","Resource":"*","NotResource":"x"}"#,
            "/Statement/0",
            "both Resource and NotResource",
        ),
        (
            r#"{"Effect":"Allow","Action":"*","Principal":"*","NotPrincipal":"*"}"#,
            "/Statement/0",
            "both Principal and NotPrincipal",
        ),
        (
            r#"{"Effect":"Allow","Action":["s3:GetObject","GetObject"]}"#,
            "/Statement/0/Action/1",
            "service:action",
        ),
        (
            r#"{"Effect":"Allow","Action":"s3:"}"#,
            "/Statement/0/Action",
            "service prefix",
        ),
        (
            r#"{"Effect":"Allow","Action":7}"#,
            "/Statement/0/Action",
            "string or an array",
        ),
        (
            r#"{"Effect":"Allow","Action":["s3:*",7]}"#,
            "/Statement/0/Action/1",
            "expected a string",
        ),
        (
            r#"{"Effect":"Allow","Action":"*","Resource":{"a":1}}"#,
            "/Statement/0/Resource",
            "string or an array",
        ),
        (
            r#"{"Effect":"Allow","Action":"*","Sid":1}"#,
            "/Statement/0/Sid",
            "Sid must be a string",
        ),
        (
            r#"{"Effect":"Allow","Action":"*","Principal":{"Aws":"*"}}"#,
            "/Statement/0/Principal/Aws",
            "unknown principal type",
        ),
        (
            r#"{"Effect":"Allow","Action":"*","Principal":"arn:aws:iam::1:root"}"#,
            "/Statement/0/Principal",
            "expected \"*\"",
        ),
        (
            r#"{"Effect":"Allow","Action":"*","Principal":{"AWS":[1]}}"#,
            "/Statement/0/Principal/AWS/0",
            "expected a string",
        ),
    ];
    for (stmt, path, msg) in stmt_cases {
        let e = err(&one_statement(stmt));
        assert_eq!(&e.path, path, "{stmt}: {e}");
        assert!(e.message.contains(msg), "{stmt}: {e}");
    }
}

#[test]
fn principals_and_versions() {
    let p = Policy::parse(
        r#"{"Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{"AWS":["arn:aws:iam::111122223333:root","444455556666"],"Service":"ec2.amazonaws.com"}},
            {"Effect":"Deny","Action":"*","NotPrincipal":"*"}]}"#,
    )
    .expect("parses");
    assert_eq!(p.version, PolicyVersion::Unspecified);
    assert!(!p.version.supports_variables());
    let pr = p.statements[0].principal.as_ref().expect("Principal");
    assert!(!pr.negated && !pr.any);
    let by = pr.by_type();
    assert_eq!(
        by[&PrincipalType::Aws],
        vec!["arn:aws:iam::111122223333:root", "444455556666"]
    );
    assert_eq!(by[&PrincipalType::Service], vec!["ec2.amazonaws.com"]);
    assert!(pr.lists(Some("arn:aws:iam::111122223333:user/alice")));
    assert!(pr.lists(Some("EC2.amazonaws.com")));
    assert!(!pr.lists(Some("arn:aws:iam::999999999999:user/alice")));
    assert!(!pr.lists(None));
    let np = p.statements[1].principal.as_ref().expect("NotPrincipal");
    assert!(np.negated && np.any);
    assert!(p.statements[0].resource.is_none());

    let p: Policy = r#"{"Version":"2008-10-17","Id":"x","Statement":[]}"#
        .parse()
        .expect("parses");
    assert_eq!(p.version, PolicyVersion::V2008_10_17);
    assert_eq!(p.version.as_str(), Some("2008-10-17"));
    assert_eq!(p.id.as_deref(), Some("x"));
    assert!(p.statements.is_empty());
}

#[test]
fn from_value_matches_parse() {
    let v: serde_json::Value = serde_json::from_str(FORCE_MFA).expect("json");
    let a = Policy::from_value(&v).expect("from_value");
    let b = Policy::parse(FORCE_MFA).expect("parse");
    assert_eq!(a.statements.len(), b.statements.len());
    for (x, y) in a.statements.iter().zip(&b.statements) {
        assert_eq!(x.sid, y.sid);
        assert_eq!(x.effect, y.effect);
    }
}

#[test]
fn arbitrary_bytes_never_panic() {
    // A cheap deterministic smoke test; the fuzz target goes further.
    let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
    let alphabet: Vec<char> = "{}[]\":,%7B22 \n\\tfalsenul0123456789-.*?$Version2012-10-17StatementEffectAllowDenyActionResourceConditionBool".chars().collect();
    for _ in 0..5_000 {
        let mut s = String::new();
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let len = (seed % 60) as usize;
        for i in 0..len {
            let idx = ((seed >> (i % 50)) as usize + i * 31) % alphabet.len();
            s.push(alphabet[idx]);
        }
        let _ = Policy::parse(&s);
    }
}
