//! One pagination rule for every list call: follow the marker while the page
//! says it is truncated; a truncated page without a marker, a marker seen
//! before, or more pages than any account can have is an error naming the
//! call, never a silently shorter list.

use std::collections::HashSet;

use crate::error::CollectError;

/// More pages than this for one call is a broken paginator, not an account:
/// at AWS's default of 100 items a page it is a million items.
pub const MAX_PAGES: usize = 10_000;

/// The state of one paginated call.
pub struct Pages {
    action: &'static str,
    seen: HashSet<String>,
    pages: usize,
}

impl Pages {
    pub fn new(action: &'static str) -> Pages {
        Pages {
            action,
            seen: HashSet::new(),
            pages: 0,
        }
    }

    /// The marker for the next page after a page that answered
    /// `is_truncated` and `marker`; `None` when the list is complete.
    /// IAM says `IsTruncated`; Organizations only returns `NextToken`
    /// (pass `None` for `is_truncated`).
    pub fn next(
        &mut self,
        is_truncated: Option<bool>,
        marker: Option<&str>,
    ) -> Result<Option<String>, CollectError> {
        self.pages += 1;
        let marker = marker.filter(|marker| !marker.is_empty());
        let more = is_truncated.unwrap_or(marker.is_some());
        if !more {
            return Ok(None);
        }
        let Some(marker) = marker else {
            return Err(self.broken("a page says more follow but gives no marker for them"));
        };
        if !self.seen.insert(marker.to_string()) {
            return Err(self.broken(&format!(
                "the same pagination marker was received twice (after {} pages); the list would never end",
                self.pages
            )));
        }
        if self.pages >= MAX_PAGES {
            return Err(self.broken(&format!(
                "more than {MAX_PAGES} pages; stopped rather than page forever"
            )));
        }
        Ok(Some(marker.to_string()))
    }

    fn broken(&self, message: &str) -> CollectError {
        CollectError::BadResponse {
            action: self.action.to_string(),
            message: message.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn follows_markers_until_the_last_page() {
        let mut pages = Pages::new("iam:ListMFADevices");
        assert_eq!(
            pages.next(Some(true), Some("a")).ok().flatten().as_deref(),
            Some("a")
        );
        assert_eq!(pages.next(Some(false), None).ok().flatten(), None);
    }

    #[test]
    fn truncated_without_marker_is_an_error() {
        let mut pages = Pages::new("iam:ListMFADevices");
        let err = pages.next(Some(true), None).err().map(|e| e.to_string());
        assert!(
            err.as_deref()
                .is_some_and(|e| e.contains("iam:ListMFADevices") && e.contains("no marker")),
            "{err:?}"
        );
        let mut pages = Pages::new("iam:ListMFADevices");
        assert!(pages.next(Some(true), Some("")).is_err());
    }

    #[test]
    fn a_repeated_marker_is_an_error() {
        let mut pages = Pages::new("organizations:ListAccounts");
        assert!(pages.next(None, Some("x")).is_ok());
        assert!(pages.next(None, Some("y")).is_ok());
        let err = pages.next(None, Some("x")).err().map(|e| e.to_string());
        assert!(
            err.as_deref().is_some_and(|e| e.contains("twice")),
            "{err:?}"
        );
    }

    #[test]
    fn pages_are_capped() {
        let mut pages = Pages::new("iam:GetAccountAuthorizationDetails");
        let mut result = Ok(None);
        for page in 0..MAX_PAGES {
            result = pages.next(Some(true), Some(&page.to_string()));
            if result.is_err() {
                break;
            }
        }
        assert!(result.is_err());
    }
}
