/**
 * The SQS query protocol's answers: the JSON protocol's output shapes written as the XML the
 * query protocol returns (namespace `http://queue.amazonaws.com/doc/2012-11-05/`), and its
 * ErrorResponse.
 */
import type { AwsError } from '../errors.js';
import type { Input } from './params.js';

export const SQS_XML_NAMESPACE = 'http://queue.amazonaws.com/doc/2012-11-05/';

/** Flattened list members: JSON key → XML element of each member. */
const LIST_MEMBERS: Record<string, string> = {
  QueueUrls: 'QueueUrl',
  queueUrls: 'QueueUrl',
  Messages: 'Message',
  Results: 'ListMessageMoveTasksResultEntry',
  Failed: 'BatchResultErrorEntry',
};

const SUCCESS_ENTRY: Record<string, string> = {
  SendMessageBatch: 'SendMessageBatchResultEntry',
  DeleteMessageBatch: 'DeleteMessageBatchResultEntry',
  ChangeMessageVisibilityBatch: 'ChangeMessageVisibilityBatchResultEntry',
};

export function escapeXml(s: string): string {
  return s.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]!)
    // Carriage returns would be normalised away by XML parsers.
    .replace(/\r/g, '&#xD;');
}

function element(name: string, inner: string): string {
  return `<${name}>${inner}</${name}>`;
}

function scalar(v: unknown): string {
  return escapeXml(typeof v === 'string' ? v : String(v));
}

function map(elementName: string, keyName: string, valueName: string, m: Record<string, unknown>): string {
  return Object.entries(m).map(([k, v]) => element(elementName, element(keyName, escapeXml(k)) + element(valueName, scalar(v)))).join('');
}

function messageAttributes(m: Record<string, Record<string, string>>): string {
  return Object.entries(m).map(([name, v]) => element('MessageAttribute',
    element('Name', escapeXml(name)) + element('Value', Object.entries(v).map(([k, x]) => element(k, escapeXml(x))).join('')))).join('');
}

function fields(action: string, o: Input): string {
  let out = '';
  for (const [k, v] of Object.entries(o)) {
    if (v === undefined || v === null) continue;
    if (k === 'Attributes') out += map('Attribute', 'Name', 'Value', v as Record<string, unknown>);
    else if (k === 'Tags') out += map('Tag', 'Key', 'Value', v as Record<string, unknown>);
    else if (k === 'MessageAttributes') out += messageAttributes(v as Record<string, Record<string, string>>);
    else if (Array.isArray(v)) {
      const member = k === 'Successful' ? SUCCESS_ENTRY[action] ?? 'Entry' : LIST_MEMBERS[k] ?? k;
      out += v.map((item) => element(member, typeof item === 'object' && item !== null ? fields(action, item as Input) : scalar(item))).join('');
    } else if (typeof v === 'object') out += element(k, fields(action, v as Input));
    else out += element(k, scalar(v));
  }
  return out;
}

export function xmlResponse(action: string, output: Input, requestId: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?><${action}Response xmlns="${SQS_XML_NAMESPACE}">`
    + (Object.keys(output).length > 0 ? element(`${action}Result`, fields(action, output)) : '')
    + element('ResponseMetadata', element('RequestId', requestId))
    + `</${action}Response>`;
}

export function xmlError(err: AwsError, requestId: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?><ErrorResponse xmlns="${SQS_XML_NAMESPACE}">`
    + element('Error', element('Type', err.fault) + element('Code', escapeXml(err.queryCode)) + element('Message', escapeXml(err.message)) + '<Detail/>')
    + element('RequestId', requestId)
    + '</ErrorResponse>';
}
