//! The SQS queue EventBridge delivers IAM events to: long-poll receive,
//! delete once handled, and the queue's redrive policy (whether poison
//! messages reach a dead-letter queue on their own).

use std::time::Duration;

use aws_config::SdkConfig;
use aws_sdk_sqs::types::{MessageSystemAttributeName, QueueAttributeName};
use aws_sdk_sqs::Client as SqsClient;

use crate::error::{classify, CollectError};

/// One received message.
#[derive(Debug, Clone)]
pub struct QueueMessage {
    pub message_id: String,
    /// Needed to delete it or change its visibility.
    pub receipt_handle: String,
    pub body: String,
    /// How many times SQS has handed it out (1 on the first delivery).
    pub receive_count: u32,
}

/// An SQS queue of EventBridge events.
#[derive(Clone)]
pub struct EventQueue {
    sqs: SqsClient,
    url: String,
    max_attempts: u32,
}

impl EventQueue {
    pub fn new(config: &SdkConfig, url: &str, max_attempts: u32) -> EventQueue {
        EventQueue {
            sqs: SqsClient::new(config),
            url: url.to_string(),
            max_attempts,
        }
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    fn fail<E>(&self, action: &str, err: &aws_sdk_sqs::error::SdkError<E>) -> CollectError
    where
        E: aws_smithy_types::error::metadata::ProvideErrorMetadata + std::error::Error + 'static,
    {
        classify(action, err, None, self.max_attempts)
    }

    /// Waits up to `wait` (long polling, at most 20 s) for up to `max`
    /// messages (1 to 10), hidden from other consumers for `visibility`.
    pub async fn receive(
        &self,
        max: i32,
        wait: Duration,
        visibility: Duration,
    ) -> Result<Vec<QueueMessage>, CollectError> {
        const ACTION: &str = "sqs:ReceiveMessage";
        let output = self
            .sqs
            .receive_message()
            .queue_url(&self.url)
            .max_number_of_messages(max.clamp(1, 10))
            .wait_time_seconds(i32::try_from(wait.as_secs().min(20)).unwrap_or(20))
            .visibility_timeout(i32::try_from(visibility.as_secs().max(1)).unwrap_or(i32::MAX))
            .message_system_attribute_names(MessageSystemAttributeName::ApproximateReceiveCount)
            .send()
            .await
            .map_err(|err| self.fail(ACTION, &err))?;
        Ok(output
            .messages()
            .iter()
            .filter_map(|message| {
                Some(QueueMessage {
                    message_id: message.message_id()?.to_string(),
                    receipt_handle: message.receipt_handle()?.to_string(),
                    body: message.body().unwrap_or_default().to_string(),
                    receive_count: message
                        .attributes()
                        .and_then(|a| a.get(&MessageSystemAttributeName::ApproximateReceiveCount))
                        .and_then(|count| count.parse().ok())
                        .unwrap_or(1),
                })
            })
            .collect())
    }

    /// Deletes a handled message.
    pub async fn delete(&self, message: &QueueMessage) -> Result<(), CollectError> {
        self.sqs
            .delete_message()
            .queue_url(&self.url)
            .receipt_handle(&message.receipt_handle)
            .send()
            .await
            .map_err(|err| self.fail("sqs:DeleteMessage", &err))?;
        Ok(())
    }

    /// Makes a message visible again after `after` (0: at once), for a
    /// retry sooner than its visibility timeout.
    pub async fn release(
        &self,
        message: &QueueMessage,
        after: Duration,
    ) -> Result<(), CollectError> {
        self.sqs
            .change_message_visibility()
            .queue_url(&self.url)
            .receipt_handle(&message.receipt_handle)
            .visibility_timeout(i32::try_from(after.as_secs()).unwrap_or(i32::MAX))
            .send()
            .await
            .map_err(|err| self.fail("sqs:ChangeMessageVisibility", &err))?;
        Ok(())
    }

    /// The dead-letter queue's ARN and `maxReceiveCount` of the queue's
    /// redrive policy, if it has one.
    pub async fn redrive_policy(&self) -> Result<Option<(String, u32)>, CollectError> {
        const ACTION: &str = "sqs:GetQueueAttributes";
        let output = self
            .sqs
            .get_queue_attributes()
            .queue_url(&self.url)
            .attribute_names(QueueAttributeName::RedrivePolicy)
            .send()
            .await
            .map_err(|err| self.fail(ACTION, &err))?;
        let Some(text) = output
            .attributes()
            .and_then(|a| a.get(&QueueAttributeName::RedrivePolicy))
        else {
            return Ok(None);
        };
        let policy: serde_json::Value =
            serde_json::from_str(text).map_err(|err| CollectError::BadResponse {
                action: ACTION.to_string(),
                message: format!("the RedrivePolicy attribute is not JSON: {err}"),
            })?;
        let arn = policy["deadLetterTargetArn"].as_str().unwrap_or_default();
        // SQS returns the count as a number or as a string.
        let count = policy["maxReceiveCount"].as_u64().or_else(|| {
            policy["maxReceiveCount"]
                .as_str()
                .and_then(|s| s.parse().ok())
        });
        match (arn.is_empty(), count) {
            (false, Some(count)) => Ok(Some((arn.to_string(), u32::try_from(count).unwrap_or(u32::MAX)))),
            _ => Err(CollectError::BadResponse {
                action: ACTION.to_string(),
                message: format!("the RedrivePolicy attribute lacks deadLetterTargetArn or maxReceiveCount: {text}"),
            }),
        }
    }

    /// Sends a message's body to another queue (a dead-letter queue when
    /// the queue has no redrive policy), then deletes it from this one.
    pub async fn move_to(
        &self,
        dead_letter_url: &str,
        message: &QueueMessage,
    ) -> Result<(), CollectError> {
        self.sqs
            .send_message()
            .queue_url(dead_letter_url)
            .message_body(&message.body)
            .send()
            .await
            .map_err(|err| self.fail("sqs:SendMessage", &err))?;
        self.delete(message).await
    }
}
