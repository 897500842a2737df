//! Collects one account with read-only IAM calls, as few as possible.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

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
use crate::observe::{CallTally, Observer};
use crate::pages::Pages;
use crate::LiveOptions;

type SdkError<E> = aws_smithy_runtime_api::client::result::SdkError<
    E,
    aws_smithy_runtime_api::client::orchestrator::HttpResponse,
>;

/// Puts the calls counted for an account into its snapshot.
pub fn record_calls(snapshot: &mut Snapshot, tally: &CallTally) {
    snapshot.source.api_calls = tally.calls.clone();
    snapshot.source.retries = Some(tally.retry_stats());
}

/// One account's collector.
pub struct AccountCollector<'a> {
    iam: IamClient,
    options: &'a LiveOptions,
    observer: &'a Observer,
}

impl<'a> AccountCollector<'a> {
    pub(crate) fn new(
        config: &SdkConfig,
        options: &'a LiveOptions,
        observer: &'a Observer,
    ) -> AccountCollector<'a> {
        AccountCollector {
            iam: observer.iam(config),
            options,
            observer,
        }
    }

    fn fail<E>(&self, action: &str, err: &SdkError<E>) -> CollectError
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

    /// Makes one call when the pacer allows, classifying its error.
    async fn call<T, E>(
        &self,
        action: &str,
        request: impl std::future::Future<Output = Result<T, SdkError<E>>>,
    ) -> Result<T, CollectError>
    where
        E: aws_smithy_types::error::metadata::ProvideErrorMetadata + std::error::Error + 'static,
    {
        self.observer.pacer().wait().await;
        request.await.map_err(|err| self.fail(action, &err))
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
        self.users_all_described(&credential_report, &details)
            .await?;
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
                api_calls: BTreeMap::new(),
                retries: None,
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

    /// Generates the credential report and polls for it with backoff, all
    /// within `report_timeout` (retries and slow answers included). Never
    /// returns an empty report in place of one that could not be had.
    async fn credential_report(&self) -> Result<CredentialReport, CollectError> {
        let limit = self.options.report_timeout;
        let progress = std::sync::Mutex::new(ReportProgress::default());
        match tokio::time::timeout(limit, self.poll_credential_report(&progress)).await {
            Ok(result) => result,
            Err(_) => {
                let progress = progress.lock().map(|p| p.describe()).unwrap_or_default();
                Err(CollectError::CredentialReport(format!(
                    "not ready within --report-timeout ({} seconds){progress}",
                    limit.as_secs_f64()
                )))
            }
        }
    }

    async fn poll_credential_report(
        &self,
        progress: &std::sync::Mutex<ReportProgress>,
    ) -> Result<CredentialReport, CollectError> {
        let update = |change: &dyn Fn(&mut ReportProgress)| {
            if let Ok(mut progress) = progress.lock() {
                change(&mut progress);
            }
        };
        use aws_sdk_iam::operation::generate_credential_report::GenerateCredentialReportError;
        use aws_sdk_iam::operation::get_credential_report::GetCredentialReportError;
        let mut delay = Duration::from_millis(500);
        let mut need_generate = true;
        loop {
            if need_generate {
                update(&|p| p.pending = Some("iam:GenerateCredentialReport"));
                self.observer.pacer().wait().await;
                let generated = self.iam.generate_credential_report().send().await;
                update(&|p| p.pending = None);
                match generated {
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
            update(&|p| p.pending = Some("iam:GetCredentialReport"));
            self.observer.pacer().wait().await;
            let got = self.iam.get_credential_report().send().await;
            update(&|p| p.pending = None);
            match got {
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
                    Some(GetCredentialReportError::CredentialReportNotReadyException(_)) => {
                        update(&|p| p.still_generating = true);
                    }
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
        let mut pages = Pages::new(ACTION);
        let mut marker: Option<String> = None;
        loop {
            let page = self
                .call(
                    ACTION,
                    self.iam
                        .get_account_authorization_details()
                        .set_marker(marker.take())
                        .send(),
                )
                .await?;
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
            match pages.next(Some(page.is_truncated()), page.marker())? {
                Some(next) => marker = Some(next),
                None => return Ok(details),
            }
        }
    }

    /// Every user of the credential report must be in the authorization
    /// details: one that is not means a page went missing, and analysing
    /// without it would turn its failures into unknowns. A user deleted
    /// since the report was generated is not an error: `iam:GetUser` tells.
    async fn users_all_described(
        &self,
        report: &CredentialReport,
        details: &AuthorizationDetails,
    ) -> Result<(), CollectError> {
        use aws_sdk_iam::operation::get_user::GetUserError;
        let described: BTreeSet<&str> = details
            .user_detail_list
            .iter()
            .map(|user| user.user_name.as_str())
            .collect();
        let mut missing = Vec::new();
        for row in report.user_rows() {
            if described.contains(row.user.as_str()) {
                continue;
            }
            self.observer.pacer().wait().await;
            match self.iam.get_user().user_name(&row.user).send().await {
                Ok(_) => missing.push(row.user.clone()),
                // Deleted since the report was generated.
                Err(err)
                    if matches!(
                        err.as_service_error(),
                        Some(GetUserError::NoSuchEntityException(_))
                    ) => {}
                // Not confirmed either way: counted as missing.
                Err(_) => missing.push(row.user.clone()),
            }
        }
        if missing.is_empty() {
            return Ok(());
        }
        const SHOWN: usize = 5;
        let mut names = missing
            .iter()
            .take(SHOWN)
            .cloned()
            .collect::<Vec<_>>()
            .join(", ");
        if missing.len() > SHOWN {
            names.push_str(&format!(" and {} more", missing.len() - SHOWN));
        }
        Err(bad(
            "iam:GetAccountAuthorizationDetails",
            format!(
                "{} of the credential report {} missing from its answer ({names}): the answer was incomplete",
                mfaguard_core::words::count(missing.len(), "user", "users"),
                if missing.len() == 1 { "is" } else { "are" }
            ),
        ))
    }

    async fn virtual_mfa_devices(&self) -> Result<Vec<VirtualMfaDevice>, CollectError> {
        const ACTION: &str = "iam:ListVirtualMFADevices";
        let mut devices = Vec::new();
        let mut pages = Pages::new(ACTION);
        let mut marker: Option<String> = None;
        loop {
            let page = self
                .call(
                    ACTION,
                    self.iam
                        .list_virtual_mfa_devices()
                        .set_marker(marker.take())
                        .send(),
                )
                .await?;
            devices.extend(
                page.virtual_mfa_devices()
                    .iter()
                    .map(convert::virtual_device),
            );
            match pages.next(Some(page.is_truncated()), page.marker())? {
                Some(next) => marker = Some(next),
                None => return Ok(devices),
            }
        }
    }

    async fn account_summary(&self) -> Result<BTreeMap<String, i64>, CollectError> {
        const ACTION: &str = "iam:GetAccountSummary";
        let output = self
            .call(ACTION, self.iam.get_account_summary().send())
            .await?;
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
        let saml = self
            .call(
                "iam:ListSAMLProviders",
                self.iam.list_saml_providers().send(),
            )
            .await?;
        let oidc = self
            .call(
                "iam:ListOpenIDConnectProviders",
                self.iam.list_open_id_connect_providers().send(),
            )
            .await?;
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
                let mut pages = Pages::new(ACTION);
                let mut marker: Option<String> = None;
                loop {
                    let page = self
                        .call(
                            ACTION,
                            self.iam
                                .list_mfa_devices()
                                .user_name(&user)
                                .set_marker(marker.take())
                                .send(),
                        )
                        .await?;
                    devices.extend(page.mfa_devices().iter().map(convert::mfa_device));
                    match pages.next(Some(page.is_truncated()), page.marker())? {
                        Some(next) => marker = Some(next),
                        None => return Ok::<_, CollectError>(devices),
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

/// Where the credential-report wait stood, for the timeout's message.
#[derive(Default)]
struct ReportProgress {
    /// The call in flight, if any.
    pending: Option<&'static str>,
    /// AWS answered that the report was still being generated.
    still_generating: bool,
}

impl ReportProgress {
    fn describe(&self) -> String {
        let mut text = String::new();
        if let Some(call) = self.pending {
            text.push_str(&format!("; {call} had not answered"));
        }
        if self.still_generating {
            text.push_str("; AWS still said the report was being generated");
        }
        text
    }
}

fn bad(action: &str, message: String) -> CollectError {
    CollectError::BadResponse {
        action: action.to_string(),
        message,
    }
}
