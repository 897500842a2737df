//! Collects again only the identities an event changed, and patches them
//! into the account's stored snapshot: a user (its password, MFA devices,
//! access keys, groups and policies), a group (its policies and every
//! member), a role (trust and policies), a managed policy's default
//! version, the virtual MFA devices. Root's credentials are only in the
//! credential report, so a change to root collects the whole account.
//!
//! Same clients, time limits, retries and pacing as a full collection; any
//! failed call fails the whole re-collection (never a partial patch).

use std::collections::BTreeSet;

use aws_config::SdkConfig;
use aws_sdk_iam::Client as IamClient;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use chrono::{DateTime, Utc};
use futures::stream::{self, StreamExt, TryStreamExt};

use mfaguard_core::credential_report::{Cell, CredentialReportRow};
use mfaguard_core::snapshot::{
    AttachedPolicy, GroupDetail, InlinePolicy, ManagedPolicyDetail, MfaDevice, PermissionsBoundary,
    PolicyDocument, PolicyVersion, RoleDetail, Snapshot, Tag, UserDetail,
};
use mfaguard_events::Subject;

use crate::account::AccountCollector;
use crate::convert;
use crate::error::{classify, CollectError};
use crate::observe::{CallCounter, Observer, Pacer};
use crate::pages::Pages;
use crate::LiveOptions;

type SdkError<E> = aws_smithy_runtime_api::client::result::SdkError<
    E,
    aws_smithy_runtime_api::client::orchestrator::HttpResponse,
>;

/// What a re-collection found, before it is patched in.
struct FreshUser {
    name: String,
    /// None: the user no longer exists.
    state: Option<UserState>,
}

struct UserState {
    detail: UserDetail,
    password_created: Option<DateTime<Utc>>,
    password_last_used: Option<DateTime<Utc>>,
    devices: Vec<MfaDevice>,
    /// (active, created), oldest first, as the credential report orders them.
    keys: Vec<(bool, Option<DateTime<Utc>>)>,
}

/// Re-collects `subjects` of `snapshot`'s account with `config` (already
/// holding that account's credentials) and returns the patched snapshot.
pub async fn recollect(
    config: &SdkConfig,
    options: &LiveOptions,
    snapshot: &Snapshot,
    subjects: &[Subject],
    calls: &CallCounter,
) -> Result<Snapshot, CollectError> {
    let observer = Observer::new(calls.clone(), Pacer::default());
    let Some(account_id) = snapshot.account_id.clone() else {
        return Err(CollectError::BadResponse {
            action: "re-collection".to_string(),
            message: "the stored snapshot has no account ID".to_string(),
        });
    };
    let work = async {
        if subjects.contains(&Subject::Root) {
            let location = snapshot.source.location.clone();
            let mut fresh = AccountCollector::new(config, options, &observer)
                .collect(&account_id, location)
                .await?;
            fresh.service_control_policies = snapshot.service_control_policies.clone();
            return Ok(fresh);
        }
        Recollector {
            iam: observer.iam(config),
            options,
            observer: &observer,
        }
        .patch(snapshot.clone(), subjects)
        .await
    };
    tokio::time::timeout(options.account_timeout, work)
        .await
        .unwrap_or(Err(CollectError::AccountTimeout {
            seconds: options.account_timeout.as_secs_f64(),
        }))
}

struct Recollector<'a> {
    iam: IamClient,
    options: &'a LiveOptions,
    observer: &'a Observer,
}

fn no_such_entity<E: ProvideErrorMetadata>(err: &SdkError<E>) -> bool {
    err.as_service_error()
        .and_then(ProvideErrorMetadata::code)
        .is_some_and(|code| code == "NoSuchEntity")
}

fn bad(action: &str, message: String) -> CollectError {
    CollectError::BadResponse {
        action: action.to_string(),
        message,
    }
}

fn document(action: &str, text: &str, what: &str) -> Result<PolicyDocument, CollectError> {
    PolicyDocument::from_text(text).map_err(|err| bad(action, format!("{what}: {err}")))
}

fn attached(policies: &[aws_sdk_iam::types::AttachedPolicy]) -> Vec<AttachedPolicy> {
    policies
        .iter()
        .map(|policy| AttachedPolicy {
            policy_name: policy.policy_name().unwrap_or_default().to_string(),
            policy_arn: policy.policy_arn().unwrap_or_default().to_string(),
        })
        .collect()
}

fn boundary(
    value: Option<&aws_sdk_iam::types::AttachedPermissionsBoundary>,
) -> Option<PermissionsBoundary> {
    value.map(|boundary| PermissionsBoundary {
        permissions_boundary_type: boundary
            .permissions_boundary_type()
            .map(|kind| kind.as_str().to_string()),
        permissions_boundary_arn: boundary
            .permissions_boundary_arn()
            .unwrap_or_default()
            .to_string(),
    })
}

fn tags(tags: &[aws_sdk_iam::types::Tag]) -> Vec<Tag> {
    tags.iter()
        .map(|tag| Tag {
            key: tag.key().to_string(),
            value: tag.value().to_string(),
        })
        .collect()
}

impl Recollector<'_> {
    async fn call<T, E>(
        &self,
        action: &str,
        request: impl std::future::Future<Output = Result<T, SdkError<E>>>,
    ) -> Result<T, CollectError>
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
    {
        self.observer.pacer().wait().await;
        request.await.map_err(|err| {
            classify(
                action,
                &err,
                self.options.profile.as_deref(),
                self.options.max_attempts,
            )
        })
    }

    /// As [`Self::call`], with None when the entity does not exist.
    async fn call_existing<T, E>(
        &self,
        action: &str,
        request: impl std::future::Future<Output = Result<T, SdkError<E>>>,
    ) -> Result<Option<T>, CollectError>
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
    {
        self.observer.pacer().wait().await;
        match request.await {
            Ok(output) => Ok(Some(output)),
            Err(err) if no_such_entity(&err) => Ok(None),
            Err(err) => Err(classify(
                action,
                &err,
                self.options.profile.as_deref(),
                self.options.max_attempts,
            )),
        }
    }

    async fn patch(
        &self,
        mut snapshot: Snapshot,
        subjects: &[Subject],
    ) -> Result<Snapshot, CollectError> {
        let mut users: BTreeSet<String> = BTreeSet::new();
        let mut relist_virtual = false;
        for subject in subjects {
            match subject {
                Subject::User(name) => {
                    users.insert(name.clone());
                    relist_virtual = true;
                }
                Subject::Group(name) => {
                    let members = self.group(&mut snapshot, name).await?;
                    users.extend(members);
                }
                Subject::Role(name) => self.role(&mut snapshot, name).await?,
                Subject::ManagedPolicy(arn) => self.managed_policy(&mut snapshot, arn).await?,
                Subject::VirtualMfaDevice(_) => relist_virtual = true,
                // Handled by a full collection before we get here.
                Subject::Root => {}
            }
        }
        let fresh: Vec<FreshUser> = stream::iter(users)
            .map(|name| self.user(name))
            .buffer_unordered(self.options.concurrency.max(1))
            .try_collect()
            .await?;
        for user in fresh {
            patch_user(&mut snapshot, user);
        }
        self.complete_references(&mut snapshot).await?;
        if relist_virtual {
            snapshot.virtual_mfa_devices = Some(self.virtual_mfa_devices().await?);
        }
        Ok(snapshot)
    }

    async fn user(&self, name: String) -> Result<FreshUser, CollectError> {
        const GET_USER: &str = "iam:GetUser";
        let Some(found) = self
            .call_existing(GET_USER, self.iam.get_user().user_name(&name).send())
            .await?
        else {
            return Ok(FreshUser { name, state: None });
        };
        let Some(user) = found.user() else {
            return Err(bad(GET_USER, format!("no user in the answer for {name}")));
        };
        let login = self
            .call_existing(
                "iam:GetLoginProfile",
                self.iam.get_login_profile().user_name(&name).send(),
            )
            .await?;
        let (devices, keys, inline, attached_policies, groups) = futures::try_join!(
            self.user_mfa_devices(&name),
            self.access_keys(&name),
            self.user_inline_policies(&name, user.arn()),
            self.user_attached_policies(&name),
            self.user_groups(&name),
        )?;
        let detail = UserDetail {
            path: user.path().to_string(),
            user_name: user.user_name().to_string(),
            user_id: user.user_id().to_string(),
            arn: user.arn().to_string(),
            create_date: convert::time(user.create_date()),
            user_policy_list: inline,
            group_list: groups,
            attached_managed_policies: attached_policies,
            permissions_boundary: boundary(user.permissions_boundary()),
            tags: tags(user.tags()),
        };
        Ok(FreshUser {
            name,
            state: Some(UserState {
                detail,
                password_created: login
                    .as_ref()
                    .and_then(|output| output.login_profile())
                    .map(|profile| convert::time(profile.create_date()).unwrap_or_else(Utc::now)),
                password_last_used: user.password_last_used().and_then(convert::time),
                devices,
                keys,
            }),
        })
    }

    async fn user_mfa_devices(&self, user: &str) -> Result<Vec<MfaDevice>, CollectError> {
        const ACTION: &str = "iam:ListMFADevices";
        let mut devices = Vec::new();
        let mut pages = Pages::new(ACTION);
        let mut marker = None;
        loop {
            let page = self
                .call(
                    ACTION,
                    self.iam
                        .list_mfa_devices()
                        .user_name(user)
                        .set_marker(marker.take())
                        .send(),
                )
                .await?;
            devices.extend(page.mfa_devices().iter().map(convert::mfa_device));
            match pages.next(Some(page.is_truncated()), page.marker())? {
                Some(next) => marker = Some(next),
                None => return Ok(devices),
            }
        }
    }

    async fn access_keys(
        &self,
        user: &str,
    ) -> Result<Vec<(bool, Option<DateTime<Utc>>)>, CollectError> {
        const ACTION: &str = "iam:ListAccessKeys";
        let mut keys = Vec::new();
        let mut pages = Pages::new(ACTION);
        let mut marker = None;
        loop {
            let page = self
                .call(
                    ACTION,
                    self.iam
                        .list_access_keys()
                        .user_name(user)
                        .set_marker(marker.take())
                        .send(),
                )
                .await?;
            keys.extend(page.access_key_metadata().iter().map(|key| {
                (
                    key.status()
                        .is_some_and(|status| status.as_str() == "Active"),
                    key.create_date().and_then(convert::time),
                )
            }));
            match pages.next(Some(page.is_truncated()), page.marker())? {
                Some(next) => marker = Some(next),
                None => break,
            }
        }
        keys.sort_by_key(|(_, created)| *created);
        Ok(keys)
    }

    async fn user_inline_policies(
        &self,
        user: &str,
        arn: &str,
    ) -> Result<Vec<InlinePolicy>, CollectError> {
        const LIST: &str = "iam:ListUserPolicies";
        const GET: &str = "iam:GetUserPolicy";
        let mut names = Vec::new();
        let mut pages = Pages::new(LIST);
        let mut marker = None;
        loop {
            let page = self
                .call(
                    LIST,
                    self.iam
                        .list_user_policies()
                        .user_name(user)
                        .set_marker(marker.take())
                        .send(),
                )
                .await?;
            names.extend(page.policy_names().iter().cloned());
            match pages.next(Some(page.is_truncated()), page.marker())? {
                Some(next) => marker = Some(next),
                None => break,
            }
        }
        let mut policies = Vec::new();
        for name in names {
            let output = self
                .call(
                    GET,
                    self.iam
                        .get_user_policy()
                        .user_name(user)
                        .policy_name(&name)
                        .send(),
                )
                .await?;
            policies.push(InlinePolicy {
                policy_document: document(
                    GET,
                    output.policy_document(),
                    &format!("{arn} inline policy {name}"),
                )?,
                policy_name: name,
            });
        }
        Ok(policies)
    }

    async fn user_attached_policies(
        &self,
        user: &str,
    ) -> Result<Vec<AttachedPolicy>, CollectError> {
        const ACTION: &str = "iam:ListAttachedUserPolicies";
        let mut policies = Vec::new();
        let mut pages = Pages::new(ACTION);
        let mut marker = None;
        loop {
            let page = self
                .call(
                    ACTION,
                    self.iam
                        .list_attached_user_policies()
                        .user_name(user)
                        .set_marker(marker.take())
                        .send(),
                )
                .await?;
            policies.extend(attached(page.attached_policies()));
            match pages.next(Some(page.is_truncated()), page.marker())? {
                Some(next) => marker = Some(next),
                None => return Ok(policies),
            }
        }
    }

    async fn user_groups(&self, user: &str) -> Result<Vec<String>, CollectError> {
        const ACTION: &str = "iam:ListGroupsForUser";
        let mut groups = Vec::new();
        let mut pages = Pages::new(ACTION);
        let mut marker = None;
        loop {
            let page = self
                .call(
                    ACTION,
                    self.iam
                        .list_groups_for_user()
                        .user_name(user)
                        .set_marker(marker.take())
                        .send(),
                )
                .await?;
            groups.extend(page.groups().iter().map(|g| g.group_name().to_string()));
            match pages.next(Some(page.is_truncated()), page.marker())? {
                Some(next) => marker = Some(next),
                None => return Ok(groups),
            }
        }
    }

    /// Patches a group's policies in; returns its members now and before
    /// (a member removed is affected too).
    async fn group(
        &self,
        snapshot: &mut Snapshot,
        name: &str,
    ) -> Result<Vec<String>, CollectError> {
        const ACTION: &str = "iam:GetGroup";
        let mut members: Vec<String> = snapshot
            .authorization_details
            .iter()
            .flat_map(|details| &details.user_detail_list)
            .filter(|user| user.group_list.iter().any(|group| group == name))
            .map(|user| user.user_name.clone())
            .collect();
        let mut pages = Pages::new(ACTION);
        let mut marker = None;
        let mut group = None;
        loop {
            let Some(page) = self
                .call_existing(
                    ACTION,
                    self.iam
                        .get_group()
                        .group_name(name)
                        .set_marker(marker.take())
                        .send(),
                )
                .await?
            else {
                remove_group(snapshot, name);
                return Ok(members);
            };
            members.extend(page.users().iter().map(|u| u.user_name().to_string()));
            if group.is_none() {
                group = page.group().cloned();
            }
            match pages.next(Some(page.is_truncated()), page.marker())? {
                Some(next) => marker = Some(next),
                None => break,
            }
        }
        let Some(group) = group else {
            return Err(bad(ACTION, format!("no group in the answer for {name}")));
        };
        let detail = self.group_detail(&group).await?;
        replace_group(snapshot, detail);
        Ok(members)
    }

    async fn group_detail(
        &self,
        group: &aws_sdk_iam::types::Group,
    ) -> Result<GroupDetail, CollectError> {
        const LIST: &str = "iam:ListGroupPolicies";
        const GET: &str = "iam:GetGroupPolicy";
        const ATTACHED: &str = "iam:ListAttachedGroupPolicies";
        let name = group.group_name();
        let names = self
            .call(LIST, self.iam.list_group_policies().group_name(name).send())
            .await?;
        if names.is_truncated() {
            return Err(bad(
                LIST,
                format!("more than one page of inline policies for group {name}"),
            ));
        }
        let mut inline = Vec::new();
        for policy in names.policy_names() {
            let output = self
                .call(
                    GET,
                    self.iam
                        .get_group_policy()
                        .group_name(name)
                        .policy_name(policy)
                        .send(),
                )
                .await?;
            inline.push(InlinePolicy {
                policy_document: document(
                    GET,
                    output.policy_document(),
                    &format!("{} inline policy {policy}", group.arn()),
                )?,
                policy_name: policy.clone(),
            });
        }
        let attached_policies = self
            .call(
                ATTACHED,
                self.iam
                    .list_attached_group_policies()
                    .group_name(name)
                    .send(),
            )
            .await?;
        if attached_policies.is_truncated() {
            return Err(bad(
                ATTACHED,
                format!("more than one page of policies for group {name}"),
            ));
        }
        Ok(GroupDetail {
            path: group.path().to_string(),
            group_name: name.to_string(),
            group_id: group.group_id().to_string(),
            arn: group.arn().to_string(),
            create_date: convert::time(group.create_date()),
            group_policy_list: inline,
            attached_managed_policies: attached(attached_policies.attached_policies()),
        })
    }

    async fn role(&self, snapshot: &mut Snapshot, name: &str) -> Result<(), CollectError> {
        const GET: &str = "iam:GetRole";
        const LIST: &str = "iam:ListRolePolicies";
        const GET_POLICY: &str = "iam:GetRolePolicy";
        const ATTACHED: &str = "iam:ListAttachedRolePolicies";
        let Some(found) = self
            .call_existing(GET, self.iam.get_role().role_name(name).send())
            .await?
        else {
            if let Some(details) = snapshot.authorization_details.as_mut() {
                details
                    .role_detail_list
                    .retain(|role| role.role_name != name);
            }
            return Ok(());
        };
        let Some(role) = found.role() else {
            return Err(bad(GET, format!("no role in the answer for {name}")));
        };
        let names = self
            .call(LIST, self.iam.list_role_policies().role_name(name).send())
            .await?;
        if names.is_truncated() {
            return Err(bad(
                LIST,
                format!("more than one page of inline policies for role {name}"),
            ));
        }
        let mut inline = Vec::new();
        for policy in names.policy_names() {
            let output = self
                .call(
                    GET_POLICY,
                    self.iam
                        .get_role_policy()
                        .role_name(name)
                        .policy_name(policy)
                        .send(),
                )
                .await?;
            inline.push(InlinePolicy {
                policy_document: document(
                    GET_POLICY,
                    output.policy_document(),
                    &format!("{} inline policy {policy}", role.arn()),
                )?,
                policy_name: policy.clone(),
            });
        }
        let attached_policies = self
            .call(
                ATTACHED,
                self.iam
                    .list_attached_role_policies()
                    .role_name(name)
                    .send(),
            )
            .await?;
        if attached_policies.is_truncated() {
            return Err(bad(
                ATTACHED,
                format!("more than one page of policies for role {name}"),
            ));
        }
        let detail = RoleDetail {
            path: role.path().to_string(),
            role_name: role.role_name().to_string(),
            role_id: role.role_id().to_string(),
            arn: role.arn().to_string(),
            create_date: convert::time(role.create_date()),
            assume_role_policy_document: role
                .assume_role_policy_document()
                .map(|text| document(GET, text, &format!("{} trust policy", role.arn())))
                .transpose()?,
            role_policy_list: inline,
            attached_managed_policies: attached(attached_policies.attached_policies()),
            permissions_boundary: boundary(role.permissions_boundary()),
            tags: tags(role.tags()),
        };
        let details = snapshot
            .authorization_details
            .get_or_insert_with(Default::default);
        details
            .role_detail_list
            .retain(|role| role.role_name != name);
        details.role_detail_list.push(detail);
        Ok(())
    }

    /// The policy and its default version; None when it was deleted.
    async fn fetch_policy(&self, arn: &str) -> Result<Option<ManagedPolicyDetail>, CollectError> {
        const GET: &str = "iam:GetPolicy";
        const VERSION: &str = "iam:GetPolicyVersion";
        let Some(found) = self
            .call_existing(GET, self.iam.get_policy().policy_arn(arn).send())
            .await?
        else {
            return Ok(None);
        };
        let Some(policy) = found.policy() else {
            return Err(bad(GET, format!("no policy in the answer for {arn}")));
        };
        let Some(version_id) = policy.default_version_id() else {
            return Err(bad(GET, format!("{arn} has no default version")));
        };
        let version = self
            .call(
                VERSION,
                self.iam
                    .get_policy_version()
                    .policy_arn(arn)
                    .version_id(version_id)
                    .send(),
            )
            .await?;
        let document = version
            .policy_version()
            .and_then(|v| v.document())
            .map(|text| document(VERSION, text, &format!("{arn} version {version_id}")))
            .transpose()?;
        if document.is_none() {
            return Err(bad(
                VERSION,
                format!("{arn} version {version_id} has no document"),
            ));
        }
        Ok(Some(ManagedPolicyDetail {
            policy_name: policy.policy_name().unwrap_or_default().to_string(),
            policy_id: policy.policy_id().unwrap_or_default().to_string(),
            arn: arn.to_string(),
            path: policy.path().unwrap_or("/").to_string(),
            default_version_id: Some(version_id.to_string()),
            policy_version_list: vec![PolicyVersion {
                document,
                version_id: version_id.to_string(),
                is_default_version: true,
            }],
        }))
    }

    async fn managed_policy(&self, snapshot: &mut Snapshot, arn: &str) -> Result<(), CollectError> {
        let fresh = self.fetch_policy(arn).await?;
        let details = snapshot
            .authorization_details
            .get_or_insert_with(Default::default);
        details.policies.retain(|policy| policy.arn != arn);
        details.policies.extend(fresh);
        Ok(())
    }

    /// Fetches the groups and managed policies that patched identities
    /// refer to and the snapshot does not hold yet.
    async fn complete_references(&self, snapshot: &mut Snapshot) -> Result<(), CollectError> {
        let Some(details) = snapshot.authorization_details.as_ref() else {
            return Ok(());
        };
        let known_groups: BTreeSet<&str> = details
            .group_detail_list
            .iter()
            .map(|group| group.group_name.as_str())
            .collect();
        let missing_groups: BTreeSet<String> = details
            .user_detail_list
            .iter()
            .flat_map(|user| &user.group_list)
            .filter(|group| !known_groups.contains(group.as_str()))
            .cloned()
            .collect();
        for name in missing_groups {
            let found = self
                .call_existing(
                    "iam:GetGroup",
                    self.iam.get_group().group_name(&name).max_items(1).send(),
                )
                .await?;
            if let Some(group) = found.as_ref().and_then(|output| output.group()) {
                let detail = self.group_detail(group).await?;
                replace_group(snapshot, detail);
            }
        }
        let Some(details) = snapshot.authorization_details.as_ref() else {
            return Ok(());
        };
        let known_policies: BTreeSet<&str> = details
            .policies
            .iter()
            .map(|policy| policy.arn.as_str())
            .collect();
        let referenced: BTreeSet<String> = details
            .user_detail_list
            .iter()
            .flat_map(|user| {
                user.attached_managed_policies
                    .iter()
                    .map(|p| &p.policy_arn)
                    .chain(
                        user.permissions_boundary
                            .iter()
                            .map(|b| &b.permissions_boundary_arn),
                    )
            })
            .chain(details.group_detail_list.iter().flat_map(|group| {
                group
                    .attached_managed_policies
                    .iter()
                    .map(|p| &p.policy_arn)
            }))
            .chain(details.role_detail_list.iter().flat_map(|role| {
                role.attached_managed_policies
                    .iter()
                    .map(|p| &p.policy_arn)
                    .chain(
                        role.permissions_boundary
                            .iter()
                            .map(|b| &b.permissions_boundary_arn),
                    )
            }))
            .filter(|arn| !known_policies.contains(arn.as_str()))
            .cloned()
            .collect();
        for arn in referenced {
            let Some(policy) = self.fetch_policy(&arn).await? else {
                continue;
            };
            snapshot
                .authorization_details
                .get_or_insert_with(Default::default)
                .policies
                .push(policy);
        }
        Ok(())
    }

    async fn virtual_mfa_devices(
        &self,
    ) -> Result<Vec<mfaguard_core::snapshot::VirtualMfaDevice>, CollectError> {
        const ACTION: &str = "iam:ListVirtualMFADevices";
        let mut devices = Vec::new();
        let mut pages = Pages::new(ACTION);
        let mut marker = None;
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
}

fn replace_group(snapshot: &mut Snapshot, detail: GroupDetail) {
    let details = snapshot
        .authorization_details
        .get_or_insert_with(Default::default);
    details
        .group_detail_list
        .retain(|group| group.group_name != detail.group_name);
    details.group_detail_list.push(detail);
}

fn remove_group(snapshot: &mut Snapshot, name: &str) {
    if let Some(details) = snapshot.authorization_details.as_mut() {
        details
            .group_detail_list
            .retain(|group| group.group_name != name);
    }
}

/// Puts a re-collected user into the snapshot: its authorization details,
/// its credential-report row and its MFA devices.
fn patch_user(snapshot: &mut Snapshot, user: FreshUser) {
    let details = snapshot
        .authorization_details
        .get_or_insert_with(Default::default);
    details
        .user_detail_list
        .retain(|detail| detail.user_name != user.name);
    if let Some(devices) = snapshot.mfa_devices.as_mut() {
        devices.retain(|device| device.user_name != user.name);
    }
    let previous = snapshot
        .credential_report
        .rows
        .iter()
        .position(|row| !row.is_root() && row.user == user.name)
        .map(|index| snapshot.credential_report.rows.remove(index));
    let Some(state) = user.state else {
        return;
    };
    let row = report_row(&state, previous.as_ref());
    snapshot.credential_report.rows.push(row);
    snapshot
        .mfa_devices
        .get_or_insert_with(Vec::new)
        .extend(state.devices);
    details.user_detail_list.push(state.detail);
}

/// The credential-report row AWS would write for the user now. Fields the
/// API calls do not give (last use of keys, password rotation) keep their
/// previous value, or `no_information`.
fn report_row(state: &UserState, previous: Option<&CredentialReportRow>) -> CredentialReportRow {
    let created = state
        .detail
        .create_date
        .map_or(Cell::NoInformation, Cell::Value);
    let had_password = previous.is_some_and(|row| row.password_enabled.is_true());
    let password = state.password_created.is_some();
    let keep_or =
        |cell: Option<Cell<DateTime<Utc>>>, fallback: Cell<DateTime<Utc>>| cell.unwrap_or(fallback);
    let password_last_changed = match (password, had_password) {
        (false, _) => Cell::NotApplicable,
        (true, true) => keep_or(
            previous.map(|row| row.password_last_changed.clone()),
            Cell::NoInformation,
        ),
        (true, false) => state
            .password_created
            .map_or(Cell::NoInformation, Cell::Value),
    };
    let key = |index: usize| -> (Cell<bool>, Cell<DateTime<Utc>>) {
        match state.keys.get(index) {
            Some((active, created)) => (
                Cell::Value(*active),
                created.map_or(Cell::NoInformation, Cell::Value),
            ),
            None => (Cell::Value(false), Cell::NotApplicable),
        }
    };
    let (key_1_active, key_1_rotated) = key(0);
    let (key_2_active, key_2_rotated) = key(1);
    let same_key = |index: usize, rotated: &Cell<DateTime<Utc>>| {
        previous.is_some_and(|row| {
            let before = if index == 0 {
                &row.access_key_1_last_rotated
            } else {
                &row.access_key_2_last_rotated
            };
            before == rotated
        })
    };
    let last_used = |index: usize,
                     rotated: &Cell<DateTime<Utc>>|
     -> (Cell<DateTime<Utc>>, Cell<String>, Cell<String>) {
        match previous {
            Some(row) if same_key(index, rotated) => {
                if index == 0 {
                    (
                        row.access_key_1_last_used_date.clone(),
                        row.access_key_1_last_used_region.clone(),
                        row.access_key_1_last_used_service.clone(),
                    )
                } else {
                    (
                        row.access_key_2_last_used_date.clone(),
                        row.access_key_2_last_used_region.clone(),
                        row.access_key_2_last_used_service.clone(),
                    )
                }
            }
            _ => (
                Cell::NotApplicable,
                Cell::NotApplicable,
                Cell::NotApplicable,
            ),
        }
    };
    let (k1_date, k1_region, k1_service) = last_used(0, &key_1_rotated);
    let (k2_date, k2_region, k2_service) = last_used(1, &key_2_rotated);
    CredentialReportRow {
        user: state.detail.user_name.clone(),
        arn: state.detail.arn.clone(),
        user_creation_time: created,
        password_enabled: Cell::Value(password),
        password_last_used: match (password, state.password_last_used) {
            (_, Some(time)) => Cell::Value(time),
            (true, None) => Cell::NoInformation,
            (false, None) => Cell::NotApplicable,
        },
        password_last_changed,
        password_next_rotation: match previous {
            Some(row) if password && had_password => row.password_next_rotation.clone(),
            _ => Cell::NotApplicable,
        },
        mfa_active: Cell::Value(!state.devices.is_empty()),
        access_key_1_active: key_1_active,
        access_key_1_last_rotated: key_1_rotated,
        access_key_1_last_used_date: k1_date,
        access_key_1_last_used_region: k1_region,
        access_key_1_last_used_service: k1_service,
        access_key_2_active: key_2_active,
        access_key_2_last_rotated: key_2_rotated,
        access_key_2_last_used_date: k2_date,
        access_key_2_last_used_region: k2_region,
        access_key_2_last_used_service: k2_service,
        cert_1_active: previous.map_or(Cell::Value(false), |row| row.cert_1_active.clone()),
        cert_1_last_rotated: previous
            .map_or(Cell::NotApplicable, |row| row.cert_1_last_rotated.clone()),
        cert_2_active: previous.map_or(Cell::Value(false), |row| row.cert_2_active.clone()),
        cert_2_last_rotated: previous
            .map_or(Cell::NotApplicable, |row| row.cert_2_last_rotated.clone()),
    }
}
