//! The frameworks and their MFA-relevant controls, with the checks that
//! decide each. The numbers and their sources are in
//! `docs/compliance-sources.md`; a test keeps that table and this one equal.

use super::{Control, Framework};

const ROOT_KEYS: &str = "iam.root_access_keys";
const ROOT_MFA: &str = "iam.root_mfa_enabled";
const ROOT_HARDWARE: &str = "iam.root_hardware_mfa";
const CONSOLE: &str = "iam.console_user_mfa";
const PRIVILEGED: &str = "iam.privileged_user_mfa";
const BREAKGLASS: &str = "iam.breakglass_hardware_mfa";
const ENFORCED: &str = "iam.mfa_enforced_by_policy";
const ROLES: &str = "iam.role_assumption_mfa";
const PITFALL: &str = "iam.mfa_condition_pitfall";
const STRATEGY: &str = "iam.mfa_enforcement_strategy";
const EXCEPTIONS: &str = "iam.mfa_exception_review";

const fn published(
    id: &'static str,
    title: &'static str,
    checks: &'static [&'static str],
) -> Control {
    Control {
        id,
        title,
        checks,
        interpreted: &[],
    }
}

const fn manual(id: &'static str, title: &'static str) -> Control {
    Control {
        id,
        title,
        checks: &[],
        interpreted: &[],
    }
}

const ROOT_KEYS_TITLE: &str = "Ensure no 'root' user account access key exists";
const ROOT_MFA_TITLE: &str = "Ensure MFA is enabled for the 'root' user account";
const ROOT_HARDWARE_TITLE: &str = "Ensure hardware MFA is enabled for the 'root' user account";
const CONSOLE_TITLE: &str =
    "Ensure multi-factor authentication (MFA) is enabled for all IAM users that have a console password";
const CENTRAL_USERS_TITLE: &str = "Ensure IAM users are managed centrally via identity federation or AWS Organizations for multi-account environments";

/// CIS v1.3.0 to v4.0.x share these numbers.
const CIS_V13_TO_V4: &[Control] = &[
    published("1.4", ROOT_KEYS_TITLE, &[ROOT_KEYS]),
    published("1.5", ROOT_MFA_TITLE, &[ROOT_MFA]),
    published("1.6", ROOT_HARDWARE_TITLE, &[ROOT_HARDWARE]),
    published("1.10", CONSOLE_TITLE, &[CONSOLE]),
];

const fn cis(id: &'static str, version: &'static str, controls: &'static [Control]) -> Framework {
    Framework {
        id,
        title: "CIS Amazon Web Services Foundations Benchmark",
        version,
        controls,
    }
}

pub(super) const FRAMEWORKS: &[Framework] = &[
    cis(
        "cis-aws-1.2",
        "1.2.0",
        &[
            published("1.2", CONSOLE_TITLE, &[CONSOLE]),
            published("1.12", "Ensure no root account access key exists", &[ROOT_KEYS]),
            published("1.13", "Ensure MFA is enabled for the \"root\" account", &[ROOT_MFA]),
            published(
                "1.14",
                "Ensure hardware MFA is enabled for the \"root\" account",
                &[ROOT_HARDWARE],
            ),
        ],
    ),
    cis("cis-aws-1.3", "1.3.0", CIS_V13_TO_V4),
    cis("cis-aws-1.4", "1.4.0", CIS_V13_TO_V4),
    cis("cis-aws-1.5", "1.5.0", CIS_V13_TO_V4),
    cis("cis-aws-2.0", "2.0.0", CIS_V13_TO_V4),
    cis("cis-aws-3.0", "3.0.0", CIS_V13_TO_V4),
    // Published as 4.0.0 and 4.0.1 with the same numbers for these controls.
    cis("cis-aws-4.0", "4.0.1", CIS_V13_TO_V4),
    cis(
        "cis-aws-5.0",
        "5.0.0",
        &[
            published("1.3", ROOT_KEYS_TITLE, &[ROOT_KEYS]),
            published("1.4", ROOT_MFA_TITLE, &[ROOT_MFA]),
            published("1.5", ROOT_HARDWARE_TITLE, &[ROOT_HARDWARE]),
            published("1.9", CONSOLE_TITLE, &[CONSOLE]),
            manual("1.20", CENTRAL_USERS_TITLE),
        ],
    ),
    cis(
        "cis-aws-6.0",
        "6.0.0",
        &[
            published("2.3", ROOT_KEYS_TITLE, &[ROOT_KEYS]),
            published("2.4", ROOT_MFA_TITLE, &[ROOT_MFA]),
            published("2.5", ROOT_HARDWARE_TITLE, &[ROOT_HARDWARE]),
            published("2.9", CONSOLE_TITLE, &[CONSOLE]),
            manual("2.20", CENTRAL_USERS_TITLE),
        ],
    ),
    cis(
        "cis-aws-7.0",
        "7.0.0",
        &[
            // Whether member accounts' root credentials are managed centrally
            // needs the organisation's IAM settings, which mfaguard does not
            // collect.
            manual("2.1.1", "Ensure centralized root access in AWS Organizations"),
            published("2.4", ROOT_KEYS_TITLE, &[ROOT_KEYS]),
            published("2.5", ROOT_MFA_TITLE, &[ROOT_MFA]),
            published("2.6", ROOT_HARDWARE_TITLE, &[ROOT_HARDWARE]),
            published("2.10", CONSOLE_TITLE, &[CONSOLE]),
            manual("2.19", CENTRAL_USERS_TITLE),
        ],
    ),
    Framework {
        id: "aws-fsbp",
        title: "AWS Foundational Security Best Practices",
        version: "1.0.0",
        controls: &[
            published("IAM.4", "IAM root user access key should not exist", &[ROOT_KEYS]),
            published(
                "IAM.5",
                "MFA should be enabled for all IAM users that have a console password",
                &[CONSOLE],
            ),
            published(
                "IAM.6",
                "Hardware MFA should be enabled for the root user",
                &[ROOT_HARDWARE],
            ),
        ],
    },
    Framework {
        id: "nist-800-53-r5",
        title: "NIST SP 800-53",
        version: "rev. 5",
        controls: &[
            published(
                "IA-2",
                "Identification and Authentication (Organizational Users)",
                &[ROOT_KEYS],
            ),
            Control {
                id: "IA-2(1)",
                title: "Multi-Factor Authentication to Privileged Accounts",
                checks: &[ROOT_MFA, ROOT_HARDWARE, CONSOLE],
                interpreted: &[PRIVILEGED, BREAKGLASS, ENFORCED, ROLES, PITFALL, STRATEGY],
            },
            Control {
                id: "IA-2(2)",
                title: "Multi-Factor Authentication to Non-privileged Accounts",
                checks: &[ROOT_MFA, ROOT_HARDWARE, CONSOLE],
                interpreted: &[ENFORCED, ROLES, PITFALL, STRATEGY],
            },
            Control {
                id: "IA-2(6)",
                title: "Access to Accounts — Separate Device",
                checks: &[ROOT_MFA, ROOT_HARDWARE, CONSOLE],
                interpreted: &[BREAKGLASS],
            },
            Control {
                id: "IA-2(8)",
                title: "Access to Accounts — Replay Resistant",
                checks: &[ROOT_MFA, ROOT_HARDWARE, CONSOLE],
                interpreted: &[BREAKGLASS],
            },
        ],
    },
    Framework {
        id: "pci-dss-4.0",
        title: "PCI DSS",
        version: "4.0.1",
        controls: &[
            Control {
                id: "8.4.1",
                title: "MFA is implemented for all non-console access into the CDE for personnel with administrative access",
                checks: &[ROOT_MFA, ROOT_HARDWARE, CONSOLE],
                interpreted: &[PRIVILEGED, BREAKGLASS],
            },
            Control {
                id: "8.4.2",
                title: "MFA is implemented for all non-console access into the CDE",
                checks: &[ROOT_MFA, ROOT_HARDWARE, CONSOLE],
                interpreted: &[ENFORCED, ROLES, STRATEGY],
            },
            Control {
                id: "8.4.3",
                title: "MFA is implemented for all remote network access originating from outside the entity's network that could access or impact the CDE",
                checks: &[ROOT_MFA, ROOT_HARDWARE, CONSOLE],
                interpreted: &[ROLES],
            },
            Control {
                id: "8.5.1",
                title: "MFA systems are not susceptible to replay attacks and cannot be bypassed by any users unless specifically documented and authorized by management on an exception basis for a limited time period",
                checks: &[],
                interpreted: &[EXCEPTIONS, PITFALL, ENFORCED],
            },
        ],
    },
];

/// The AWS Security Hub control that checks the same thing (IAM.9 is a
/// Security Hub control in its CIS, NIST and PCI standards, not in FSBP).
pub(super) const SECURITY_HUB_CONTROLS: &[(&str, &str)] = &[
    (ROOT_KEYS, "IAM.4"),
    (CONSOLE, "IAM.5"),
    (ROOT_HARDWARE, "IAM.6"),
    (ROOT_MFA, "IAM.9"),
];
