/**
 * Block Kit limits (slack-platform.md §1.5, §3.1) and checkers for them. Builders size their output against these
 * numbers; tests (and a Slack stand-in, if it wants) use the checkers to prove it.
 */
import type { InputBlock, KnownBlock, ModalView } from '@slack/types';

export const SLACK_LIMITS = {
  messageBlocks: 50,
  modalBlocks: 100,
  sectionText: 3000,
  sectionFields: 10,
  sectionFieldText: 2000,
  contextElements: 10,
  headerText: 150,
  modalTitle: 24,
  modalButton: 24,
  privateMetadata: 3000,
  callbackId: 255,
  blockId: 255,
  actionId: 255,
  label: 2000,
  hint: 2000,
  placeholder: 150,
  selectOptions: 100,
  checkboxOptions: 10,
  optionText: 75,
  /** @slack/types and older docs say 75, current docs 150: keep to 75. */
  optionValue: 75,
  optionDescription: 75,
  /** Not documented: Slack answers `msg_blocks_too_long` near 13k characters of block text (bolt-js#2509). */
  aggregateBlockText: 12_000,
  /** Slack truncates message `text` above this. */
  messageText: 40_000,
} as const;

/** What builders aim for in a message's total block text: below the undocumented limit, with room to spare. */
export const MESSAGE_TEXT_BUDGET = 11_000;

/** A message as chat.postMessage / chat.update / respond take it: blocks plus the notification `text` fallback. */
export interface SlackMessage {
  text: string;
  blocks: KnownBlock[];
}

type TextObject = { type: 'mrkdwn' | 'plain_text'; text: string };

function isTextObject(value: unknown): value is TextObject {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return (v.type === 'mrkdwn' || v.type === 'plain_text') && typeof v.text === 'string';
}

/** Every text object's text inside `value` (blocks, a view, an element), in document order. */
export function collectTexts(value: unknown, out: string[] = []): string[] {
  if (isTextObject(value)) {
    out.push(value.text);
    return out;
  }
  if (Array.isArray(value)) {
    for (const item of value) collectTexts(item, out);
  } else if (typeof value === 'object' && value !== null) {
    for (const item of Object.values(value)) collectTexts(item, out);
  }
  return out;
}

/** Total characters of text in `blocks`, as Slack's aggregate limit counts them (near enough). */
export function blockTextLength(blocks: readonly unknown[]): number {
  return collectTexts(blocks).reduce((n, text) => n + text.length, 0);
}

function blockProblems(blocks: readonly unknown[], problems: string[]): void {
  blocks.forEach((block, i) => {
    const b = block as Record<string, unknown>;
    const where = `block ${i} (${String(b.type)})`;
    if (typeof b.block_id === 'string' && b.block_id.length > SLACK_LIMITS.blockId) problems.push(`${where}: block_id`);
    if (b.type === 'section') {
      const text = b.text as TextObject | undefined;
      const fields = b.fields as TextObject[] | undefined;
      if (text === undefined && (fields === undefined || fields.length === 0)) problems.push(`${where}: no text`);
      if (text !== undefined && (text.text.length < 1 || text.text.length > SLACK_LIMITS.sectionText)) {
        problems.push(`${where}: text length ${text.text.length}`);
      }
      if (fields !== undefined) {
        if (fields.length > SLACK_LIMITS.sectionFields) problems.push(`${where}: ${fields.length} fields`);
        for (const field of fields) {
          if (field.text.length < 1 || field.text.length > SLACK_LIMITS.sectionFieldText) {
            problems.push(`${where}: field length ${field.text.length}`);
          }
        }
      }
    }
    if (b.type === 'context') {
      const elements = b.elements as TextObject[];
      if (elements.length < 1 || elements.length > SLACK_LIMITS.contextElements) {
        problems.push(`${where}: ${elements.length} elements`);
      }
      for (const element of elements) {
        if (isTextObject(element) && (element.text.length < 1 || element.text.length > SLACK_LIMITS.sectionText)) {
          problems.push(`${where}: element length ${element.text.length}`);
        }
      }
    }
    if (b.type === 'header') {
      const text = b.text as TextObject;
      if (text.text.length > SLACK_LIMITS.headerText) problems.push(`${where}: header length ${text.text.length}`);
    }
  });
}

/** Every way `message` breaks a message limit; empty when it fits. */
export function messageLimitProblems(message: SlackMessage): string[] {
  const problems: string[] = [];
  if (message.text.trim() === '') problems.push('no notification text');
  if (message.text.length > SLACK_LIMITS.messageText) problems.push(`text length ${message.text.length}`);
  if (message.blocks.length > SLACK_LIMITS.messageBlocks) problems.push(`${message.blocks.length} blocks`);
  const aggregate = blockTextLength(message.blocks);
  if (aggregate > SLACK_LIMITS.aggregateBlockText) problems.push(`aggregate block text ${aggregate}`);
  blockProblems(message.blocks, problems);
  return problems;
}

function optionProblems(options: unknown, where: string, problems: string[]): void {
  if (!Array.isArray(options)) return;
  for (const option of options as { text: TextObject; value?: string; description?: TextObject }[]) {
    if (option.text.text.length > SLACK_LIMITS.optionText) problems.push(`${where}: option text ${option.text.text}`);
    if ((option.value ?? '').length > SLACK_LIMITS.optionValue) problems.push(`${where}: option value ${option.value}`);
    if (option.description !== undefined && option.description.text.length > SLACK_LIMITS.optionDescription) {
      problems.push(`${where}: option description ${option.description.text}`);
    }
  }
}

/** Every way `view` breaks a modal limit; empty when it fits. */
export function modalLimitProblems(view: ModalView): string[] {
  const problems: string[] = [];
  if (view.title.text.length > SLACK_LIMITS.modalTitle) problems.push('title too long');
  if (view.submit !== undefined && view.submit.text.length > SLACK_LIMITS.modalButton) problems.push('submit too long');
  if (view.close !== undefined && view.close.text.length > SLACK_LIMITS.modalButton) problems.push('close too long');
  if (view.blocks.length > SLACK_LIMITS.modalBlocks) problems.push(`${view.blocks.length} blocks`);
  if ((view.private_metadata ?? '').length > SLACK_LIMITS.privateMetadata) problems.push('private_metadata too long');
  if ((view.callback_id ?? '').length > SLACK_LIMITS.callbackId) problems.push('callback_id too long');
  const hasInput = view.blocks.some((b) => b.type === 'input');
  if (hasInput && view.submit === undefined) problems.push('input blocks without submit');
  blockProblems(view.blocks, problems);
  view.blocks.forEach((any, i) => {
    if (any.type !== 'input') return;
    const block = any as InputBlock;
    const where = `input ${i}`;
    if (block.label.text.length > SLACK_LIMITS.label) problems.push(`${where}: label`);
    if (block.hint !== undefined && block.hint.text.length > SLACK_LIMITS.hint) problems.push(`${where}: hint`);
    const element = block.element as unknown as Record<string, unknown>;
    const placeholder = element.placeholder as TextObject | undefined;
    if (placeholder !== undefined && placeholder.text.length > SLACK_LIMITS.placeholder) {
      problems.push(`${where}: placeholder`);
    }
    if (typeof element.action_id === 'string' && element.action_id.length > SLACK_LIMITS.actionId) {
      problems.push(`${where}: action_id`);
    }
    if (Array.isArray(element.options)) {
      const max = element.type === 'checkboxes' ? SLACK_LIMITS.checkboxOptions : SLACK_LIMITS.selectOptions;
      if (element.options.length > max || element.options.length === 0) {
        problems.push(`${where}: ${element.options.length} options`);
      }
    }
    optionProblems(element.options, where, problems);
  });
  return problems;
}
