/** Topics (SNS semantics): wildcard matching, filter policies, attributes and the router. */
export { matchesPattern, SubscriptionIndex } from './topic-matcher.js';
export { compileFilterPolicy, FilterPolicy, FILTER_POLICY_LIMITS } from './filter-policy.js';
export { defaultTopicAttributes, parseTopicAttributes, TOPIC_ATTRIBUTE_NAMES, type TopicAttributes } from './topic-attributes.js';
export { TOPIC_DEDUP_WINDOW_MS, topicDedupScope } from './topic-dedup.js';
export {
  DEFAULT_MAX_UNDECLARED_TOPICS, MAX_FIFO_ID_LENGTH, TopicRouter,
  type LiveSink, type LiveSubscribeOptions, type LiveSubscription, type LiveSubscriptionInfo, type PublishOptions,
  type PublishResult, type QueueSubscriptionInput, type QueueTarget, type SubscriptionCounters, type SubscriptionInfo,
  type TopicMessage, type TopicRouterDeps, type TopicStats,
} from './topic-router.js';
