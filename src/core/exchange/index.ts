export { ExchangeRegistry } from './exchange-registry.js';
export { EXCHANGE_STATE_NAMESPACE } from './exchange-records.js';
export { BUILT_IN_EXCHANGES, MAX_EXCHANGE_NAME_BYTES, validateExchangeName } from './exchange-names.js';
export { compileHeadersPattern, headersMatch, headerValueEquals, type XMatch } from './headers-match.js';
export { isCoreTopicName, topicBindingKey, topicBindingPattern } from './topic-key.js';
export { TopicTrie } from './topic-trie.js';
export * from './types.js';
