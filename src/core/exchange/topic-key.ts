/**
 * amq.topic is the core topic space: its routing keys are core topic names and its binding
 * keys become core patterns. RabbitMQ keys are freer than core names, so:
 *
 *   routing key → core topic name: only a valid core name (validateName: no empty word, no `*`
 *     or `>`, no control characters, no leading/trailing whitespace, at most 1024 characters)
 *     reaches the topic space; any other key matches none of amq.topic's bindings (routed 0).
 *   binding key → core pattern: `#` → `**` (core-internal zero-or-more), `*` → `*`, a literal
 *     word must be a valid core level; anything else is refused with INVALID_NAME naming why.
 */
import { BrokerError, isBrokerError } from '../errors.js';
import { validateName, validatePattern, ZERO_OR_MORE } from '../names.js';
import { bindingWords } from './topic-trie.js';

/** Is `key` a name the core topic space can carry? */
export function isCoreTopicName(key: string): boolean {
  try {
    validateName(key, 'routing key');
    return true;
  } catch (err) {
    if (isBrokerError(err, 'INVALID_NAME')) return false;
    throw err;
  }
}

/** The core pattern of an amq.topic binding key. Throws INVALID_NAME when the core cannot carry it. */
export function topicBindingPattern(key: string): string {
  const refuse = (why: string): never => {
    throw new BrokerError('INVALID_NAME', `amq.topic binding key ${JSON.stringify(key)} cannot be carried by the core topic space: ${why}`);
  };
  const words = bindingWords(key);
  if (words.length === 0) refuse('it is empty');
  const levels = words.map((w) => {
    if (w === '#') return ZERO_OR_MORE;
    if (w === '*') return w;
    if (w === '') refuse('it has an empty word');
    if (/[*>]/.test(w)) refuse(`the word ${JSON.stringify(w)} contains * or >`);
    return w;
  });
  const pattern = levels.join('.');
  try {
    return validatePattern(pattern, 'amq.topic binding key', { zeroOrMore: true });
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    return refuse(why);
  }
}

/** The RabbitMQ binding key of a core pattern made by topicBindingPattern (`**` → `#`). */
export function topicBindingKey(pattern: string): string {
  return pattern.split('.').map((l) => (l === ZERO_OR_MORE ? '#' : l)).join('.');
}
