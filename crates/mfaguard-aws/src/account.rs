//! Collects one account with read-only IAM calls, as few as possible.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use aws_config::SdkConfig;
use aws_sdk_iam::Client as IamClient;
use chrono::Utc;
use futures::stream::{self, StreamExt, TryStreamExt};

use mfaguard_core::credential_report::{parse_csv, CredentialReport};
use mfaguard_core::snapshot::{
    AuthorizationDetails, IdentityProviders, MfaDevice, Snapshot, SnapshotSource, SourceKind,
    VirtualMfaDevice, SNAPSHOT_SCHEMA_VERSION,
};

use crate::convert;
use crate::error::{classify, CollectError};
use crate::LiveOptions;

/// Counts API calls by operation, for `--verbose` and the report.
#[derive(Clone, Default)]
pub struct CallCounter(Arc<Mutex<BTreeMap<String, u64>>>);

impl CallCounter {
    pub fn count(&self, action: &str) {
        if let Ok(mut calls) = self.0.lock() {
            *calls.entry(action.to_string()).or_default() += 1;
        }
    }

    pub fn snapshot(&self) -> BTreeMap<String, u64> {
        self.0.lock().map(|calls| calls.clone()).unwrap_or_default()
    }
}

/// One account's collector.
pub struct AccountCollector<'a> {
    iam: IamClient,
    options: &'a LiveOptions,
    calls: CallCounter,
}

impl<'a> AccountCollector<'a> {
    pub fn new(config: &SdkConfig, options: &'a LiveOptions) -> AccountCollector<'a> {
        AccountCollector {
            iam: IamClient::new(config),
            options,
            calls: CallCounter::default(),
        }
    }

    fn fail<E>(
        &self,
        action: &str,
        err: &aws_smithy_runtime_api::client::result::SdkError<
            E,
            aws_smithy_runtime_api::client::orchestrator::HttpResponse,
        >,
    ) -> CollectError
    where
        E: aws_smithy_types::error::metadata::ProvideErrorMetadata + std::error::Error + 'static,
    {
        classify(
            action,
            err,
            self.options.profile.as_deref(),
            self.options.max_attempts,
        )
    }

    /// Collects everything the analysis reads. `account_id` comes from
    /// `sts:GetCallerIdentity` (or the organisation's account list).
    pub async fn collect(
        &self,
        account_id: &str,
        location: String,
    ) -> Result<Snapshot, CollectError> {
        let collected_at = Utc::now();
        let credential_report = self.credential_report().await?;
        let (details, virtual_devices, summary, providers) = futures::try_join!(
            self.authorization_details(),
            self.virtual_mfa_devices(),
            self.account_summary(),
            self.identity_providers(),
        )?;
        // list-mfa-devices only for users whose report shows MFA: a user may
        // hold up to 8 devices of mixed kinds, which only this call lists.
        let users_with_mfa: Vec<String> = credential_report
            .user_rows()
            .filter(|row| row.mfa_active.is_true())
            .map(|row| row.user.clone())
            .collect();
        let mfa_devices = self.mfa_devices(users_with_mfa).await?;
        Ok(Snapshot {
            schema_version: SNAPSHOT_SCHEMA_VERSION,
            account_id: Some(account_id.to_string()),
            source: SnapshotSource {
                kind: SourceKind::Live,
                location,
                collected_at,
                missing: Vec::new(),
                api_calls: self.calls.snapshot(),
            },
            credential_report,
            authorization_details: Some(details),
            virtual_mfa_devices: Some(virtual_devices),
            mfa_devices: Some(mfa_devices),
            account_summary: Some(summary),
            identity_providers: Some(providers),
            service_control_policies: None,
        })
    }

    /// Generates the credential report and polls for it with backoff until
    /// the overall timeout. Never returns an empty report in place of one
    /// that could not be had.
    async fn credential_report(&self) -> Result<CredentialReport, CollectError> {
        use aws_sdk_iam::operation::generate_credential_report::GenerateCredentialReportError;
        use aws_sdk_iam::operation::get_credential_report::GetCredentialReportError;
        let started = Instant::now();
        let mut delay = Duration::from_millis(500);
        let mut need_generate = true;
        loop {
            if started.elapsed() > self.options.report_timeout {
                return Err(CollectError::CredentialReport(format!(
                    "not ready after {} seconds",
                    self.options.report_timeout.as_secs()
                )));
            }
            if need_generate {
                self.calls.count("iam:GenerateCredentialReport");
                match self.iam.generate_credential_report().send().await {
                    Ok(_) => need_generate = false,
                    Err(err) => match err.as_service_error() {
                        // Too many requests to generate: wait and retry.
                        Some(GenerateCredentialReportError::LimitExceededException(_)) => {
                            tokio::time::sleep(delay).await;
                            delay = (delay * 2).min(Duration::from_secs(8));
                            continue;
                        }
                        _ => return Err(self.fail("iam:GenerateCredentialReport", &err)),
                    },
                }
            }
            self.calls.count("iam:GetCredentialReport");
            match self.iam.get_credential_report().send().await {
                Ok(output) => {
                    let content = output.content().ok_or_else(|| {
                        CollectError::CredentialReport("the report has no content".to_string())
                    })?;
                    let text = String::from_utf8(content.as_ref().to_vec()).map_err(|_| {
                        CollectError::CredentialReport("the report is not UTF-8".to_string())
                    })?;
                    let rows = parse_csv(std::path::Path::new("credential report"), &text)
                        .map_err(|err| CollectError::CredentialReport(err.to_string()))?;
                    return Ok(CredentialReport {
                        generated_time: output.generated_time().and_then(convert::time),
                        rows,
                    });
                }
                Err(err) => match err.as_service_error() {
                    Some(GetCredentialReportError::CredentialReportNotReadyException(_)) => {}
                    Some(
                        GetCredentialReportError::CredentialReportExpiredException(_)
                        | GetCredentialReportError::CredentialReportNotPresentException(_),
                    ) => need_generate = true,
                    _ => return Err(self.fail("iam:GetCredentialReport", &err)),
                },
            }
            tokio::time::sleep(delay).await;
            delay = (delay * 2).min(Duration::from_secs(8));
        }
    }

    async fn authorization_details(&self) -> Result<AuthorizationDetails, CollectError> {
        const ACTION: &str = "iam:GetAccountAuthorizationDetails";
        let mut details = AuthorizationDetails::default();
        let mut marker: Option<String> = None;
        loop {
            self.calls.count(ACTION);
            let page = self
                .iam
                .get_account_authorization_details()
                .set_marker(marker.take())
                .send()
                .await
                .map_err(|err| self.fail(ACTION, &err))?;
            for user in page.user_detail_list() {
                details
                    .user_detail_list
                    .push(convert::user(user).map_err(|message| bad(ACTION, message))?);
            }
            for group in page.group_detail_list() {
                details
                    .group_detail_list
                    .push(convert::group(group).map_err(|message| bad(ACTION, message))?);
            }
            for role in page.role_detail_list() {
                details
                    .role_detail_list
                    .push(convert::role(role).map_err(|message| bad(ACTION, message))?);
            }
            for policy in page.policies() {
                details
                    .policies
                    .push(convert::managed_policy(policy).map_err(|message| bad(ACTION, message))?);
            }
            match (page.is_truncated(), page.marker()) {
                (true, Some(next)) => marker = Some(next.to_string()),
                (true, None) => {
                    return Err(bad(
                        ACTION,
                        "page is truncated but has no marker".to_string(),
                    ))
                }
                _ => return Ok(details),
            }
        }
    }

    async fn virtual_mfa_devices(&self) -> Result<Vec<VirtualMfaDevice>, CollectError> {
        const ACTION: &str = "iam:ListVirtualMFADevices";
        let mut devices = Vec::new();
        let mut marker: Option<String> = None;
        loop {
            self.calls.count(ACTION);
            let page = self
                .iam
                .list_virtual_mfa_devices()
                .set_marker(marker.take())
                .send()
                .await
                .map_err(|err| self.fail(ACTION, &err))?;
            devices.extend(
                page.virtual_mfa_devices()
                    .iter()
                    .map(convert::virtual_device),
            );
            match (page.is_truncated(), page.marker()) {
                (true, Some(next)) => marker = Some(next.to_string()),
                (true, None) => {
                    return Err(bad(
                        ACTION,
                        "page is truncated but has no marker".to_string(),
                    ))
                }
                _ => return Ok(devices),
            }
        }
    }

    async fn account_summary(&self) -> Result<BTreeMap<String, i64>, CollectError> {
        const ACTION: &str = "iam:GetAccountSummary";
        self.calls.count(ACTION);
        let output = self
            .iam
            .get_account_summary()
            .send()
            .await
            .map_err(|err| self.fail(ACTION, &err))?;
        Ok(output
            .summary_map()
            .map(|map| {
                map.iter()
                    .map(|(key, value)| (key.as_str().to_string(), i64::from(*value)))
                    .collect()
            })
            .unwrap_or_default())
    }

    async fn identity_providers(&self) -> Result<IdentityProviders, CollectError> {
        self.calls.count("iam:ListSAMLProviders");
        let saml = self
            .iam
            .list_saml_providers()
            .send()
            .await
            .map_err(|err| self.fail("iam:ListSAMLProviders", &err))?;
        self.calls.count("iam:ListOpenIDConnectProviders");
        let oidc = self
            .iam
            .list_open_id_connect_providers()
            .send()
            .await
            .map_err(|err| self.fail("iam:ListOpenIDConnectProviders", &err))?;
        Ok(IdentityProviders {
            saml: saml
                .saml_provider_list()
                .iter()
                .filter_map(|entry| entry.arn().map(str::to_string))
                .collect(),
            oidc: oidc
                .open_id_connect_provider_list()
                .iter()
                .filter_map(|entry| entry.arn().map(str::to_string))
                .collect(),
        })
    }

    async fn mfa_devices(&self, users: Vec<String>) -> Result<Vec<MfaDevice>, CollectError> {
        const ACTION: &str = "iam:ListMFADevices";
        let lists: Vec<Vec<MfaDevice>> = stream::iter(users)
            .map(|user| async move {
                let mut devices = Vec::new();
                let mut marker: Option<String> = None;
                loop {
                    self.calls.count(ACTION);
                    let page = self
                        .iam
                        .list_mfa_devices()
                        .user_name(&user)
                        .set_marker(marker.take())
                        .send()
                        .await
                        .map_err(|err| self.fail(ACTION, &err))?;
                    devices.extend(page.mfa_devices().iter().map(convert::mfa_device));
                    match (page.is_truncated(), page.marker()) {
                        (true, Some(next)) => marker = Some(next.to_string()),
                        _ => return Ok::<_, CollectError>(devices),
                    }
                }
            })
            .buffer_unordered(self.options.concurrency.max(1))
            .try_collect()
            .await?;
        let mut devices: Vec<MfaDevice> = lists.into_iter().flatten().collect();
        // Completion order varies; the snapshot should not.
        devices.sort_by(|a, b| {
            (&a.user_name, &a.serial_number).cmp(&(&b.user_name, &b.serial_number))
        });
        Ok(devices)
    }
}

fn bad(action: &str, message: String) -> CollectError {
    CollectError::BadResponse {
        action: action.to_string(),
        message,
    }
}
