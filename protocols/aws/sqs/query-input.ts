/**
 * The SQS query protocol's input (`Action=SendMessage&QueueUrl=...`, form-encoded body or query
 * string) turned into the JSON protocol's input shapes, so both protocols share one set of
 * operations. Lists and maps are flattened as the query protocol does:
 *
 *   AttributeName.1=All                          → AttributeNames: ['All']
 *   Attribute.1.Name=VisibilityTimeout&Attribute.1.Value=30 → Attributes: { VisibilityTimeout: '30' }
 *   MessageAttribute.1.Name=a&MessageAttribute.1.Value.DataType=String&MessageAttribute.1.Value.StringValue=x
 *                                                → MessageAttributes: { a: { DataType, StringValue } }
 *   SendMessageBatchRequestEntry.1.Id=...        → Entries: [{ Id, ... }] (nested the same way)
 *   Tag.1.Key=k&Tag.1.Value=v                    → tags / Tags: { k: v };   TagKey.1=k → TagKeys: ['k']
 */
import type { Input } from './params.js';

const LISTS: Record<string, string> = {
  AttributeName: 'AttributeNames',
  MessageAttributeName: 'MessageAttributeNames',
  MessageSystemAttributeName: 'MessageSystemAttributeNames',
  TagKey: 'TagKeys',
};

const ENTRY_LISTS: Record<string, string> = {
  SendMessageBatchRequestEntry: 'Entries',
  DeleteMessageBatchRequestEntry: 'Entries',
  ChangeMessageVisibilityBatchRequestEntry: 'Entries',
};

const NUMERIC = new Set(['MaxNumberOfMessages', 'WaitTimeSeconds', 'VisibilityTimeout', 'DelaySeconds', 'MaxResults', 'MaxNumberOfMessagesPerSecond']);

type Tree = { value?: string; children: Map<string, Tree> };

function tree(pairs: ReadonlyArray<readonly [string, string]>): Tree {
  const root: Tree = { children: new Map() };
  for (const [key, value] of pairs) {
    let node = root;
    for (const seg of key.split('.')) {
      let next = node.children.get(seg);
      if (!next) {
        next = { children: new Map() };
        node.children.set(seg, next);
      }
      node = next;
    }
    node.value = value;
  }
  return root;
}

/** Children `1`, `2`, ... in numeric order. */
function members(node: Tree): Tree[] {
  return [...node.children.entries()].filter(([k]) => /^\d+$/.test(k)).sort(([a], [b]) => Number(a) - Number(b)).map(([, v]) => v);
}

function child(node: Tree, ...path: string[]): string | undefined {
  let n: Tree | undefined = node;
  for (const p of path) n = n?.children.get(p);
  return n?.value;
}

function nameValueMap(node: Tree, nameKey: string, valueKey: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of members(node)) {
    const name = child(m, nameKey);
    if (name !== undefined) out[name] = child(m, valueKey) ?? '';
  }
  return out;
}

function messageAttributes(node: Tree): Record<string, Input> {
  const out: Record<string, Input> = {};
  for (const m of members(node)) {
    const name = child(m, 'Name');
    if (name === undefined) continue;
    const v: Input = {};
    for (const field of ['DataType', 'StringValue', 'BinaryValue']) {
      const x = child(m, 'Value', field);
      if (x !== undefined) v[field] = x;
    }
    out[name] = v;
  }
  return out;
}

/** One level of parameters (the request, or one batch entry) in JSON shape. */
function convert(node: Tree, action: string): Input {
  const out: Input = {};
  for (const [key, n] of node.children) {
    if (key === 'Action' || key === 'Version' || key.startsWith('X-Amz-')) continue;
    if (LISTS[key]) {
      out[LISTS[key]!] = members(n).map((m) => m.value ?? '');
    } else if (ENTRY_LISTS[key]) {
      out[ENTRY_LISTS[key]!] = members(n).map((m) => convert(m, action));
    } else if (key === 'Attribute') {
      out['Attributes'] = nameValueMap(n, 'Name', 'Value');
    } else if (key === 'MessageAttribute') {
      out['MessageAttributes'] = messageAttributes(n);
    } else if (key === 'Tag' || key === 'Tags') {
      out[action === 'CreateQueue' ? 'tags' : 'Tags'] = nameValueMap(n, 'Key', 'Value');
    } else if (n.value !== undefined) {
      out[key] = NUMERIC.has(key) && /^-?\d+$/.test(n.value) ? Number(n.value) : n.value;
    }
  }
  return out;
}

/** The action and its input. The QueueUrl may also be the request path (`POST /ACCOUNT/NAME`). */
export function queryInput(pairs: ReadonlyArray<readonly [string, string]>, path: string, baseUrl: string): { action: string; input: Input } {
  const root = tree(pairs);
  const action = child(root, 'Action') ?? '';
  const input = convert(root, action);
  if (input['QueueUrl'] === undefined && path !== '/' && path !== '') input['QueueUrl'] = `${baseUrl}${path}`;
  return { action, input };
}
