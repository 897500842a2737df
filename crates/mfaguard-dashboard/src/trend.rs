//! KPI trends from the history, in the shape the HTML pages draw.

use chrono::{DateTime, Utc};
use mfaguard_report::html::{RemediationTimes, Trend, TrendPoint};
use mfaguard_store::kpi::KpiReport;
use mfaguard_store::{KpiOptions, Store, StoreError};

/// The trend of `kpis` (coverage per tier, posture, time to remediate).
pub fn trend_of(kpis: &KpiReport, scope: String) -> Trend {
    let percents =
        |map: &std::collections::BTreeMap<String, mfaguard_store::kpi::CoverageFigure>| {
            map.iter()
                .map(|(tier, figure)| (tier.clone(), figure.percent))
                .collect()
        };
    Trend {
        scope,
        points: kpis
            .trend
            .iter()
            .map(|point| TrendPoint {
                at: point.scanned_at,
                posture: point.posture,
                mfa: point.console_users_with_mfa.percent,
                mfa_by_tier: percents(&point.console_users_with_mfa_by_tier),
                enforced: point.console_users_with_mfa_enforced.percent,
                enforced_by_tier: percents(&point.console_users_with_mfa_enforced_by_tier),
            })
            .collect(),
        time_to_remediate: Some(RemediationTimes {
            samples: kpis.time_to_remediate.all.samples,
            mean_days: kpis.time_to_remediate.all.mean_days,
            median_days: kpis.time_to_remediate.all.median_days,
        }),
    }
}

/// The trend of `accounts` (one account: that account; several: every
/// account of the history) as recorded before `now`; `None` when the
/// history holds no scan of them.
pub fn trend_from_store(
    store: &mut Store,
    accounts: &[&str],
    now: DateTime<Utc>,
) -> Result<Option<Trend>, StoreError> {
    let (account, scope) = match accounts {
        [one] => (Some(one.to_string()), format!("account {one}")),
        _ => (None, "every account of the history".to_string()),
    };
    let kpis = store.kpis(&KpiOptions {
        account,
        check: None,
        since: None,
        now,
    })?;
    if kpis.trend.is_empty() {
        return Ok(None);
    }
    let mut trend = trend_of(&kpis, scope);
    trend.points.retain(|point| point.at <= now);
    Ok(Some(trend))
}
