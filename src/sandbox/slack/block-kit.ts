/**
 * Block Kit validation as Slack's API applies it, so the stand-in refuses what real Slack refuses.
 *
 * Limits come from docs.slack.dev/reference/block-kit and @slack/types (see /work/shared/docs/slack-platform.md §3.1).
 * Problems are reported the way Slack words them in `response_metadata.messages`:
 * `[ERROR] <what> [json-pointer:/blocks/0/text/text]`, so a failing test points at the offending field.
 */

export type Surface = 'message' | 'modal' | 'home';

export const LIMITS = {
  messageBlocks: 50,
  viewBlocks: 100,
  /** Undocumented aggregate cap on block text (`msg_blocks_too_long`, bolt-js#2509: ~13.2k). Approximated. */
  messageBlockText: 13_000,
  messageText: 40_000,
  attachments: 100,
  viewBytes: 250_000,
  sectionText: 3000,
  sectionFields: 10,
  sectionFieldText: 2000,
  headerText: 150,
  markdownText: 12_000,
  contextElements: 10,
  actionsElements: 25,
  id: 255,
  buttonText: 75,
  buttonValue: 2000,
  url: 3000,
  optionText: 75,
  optionValue: 150,
  optionDescription: 75,
  optionGroupLabel: 75,
  selectOptions: 100,
  choiceOptions: 10,
  overflowMin: 2,
  overflowMax: 5,
  placeholder: 150,
  inputLabel: 2000,
  inputHint: 2000,
  plainTextInputLength: 3000,
  imageAltText: 2000,
  confirmTitle: 100,
  confirmText: 300,
  confirmButton: 30,
  viewTitle: 24,
  viewButton: 24,
  privateMetadata: 3000,
  callbackId: 255,
  externalId: 255,
  maxFiles: 10,
} as const;

type Json = Record<string, unknown>;

export function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Collects problems in Slack's message format; an empty list means valid. */
class Checker {
  readonly messages: string[] = [];

  add(pointer: string, problem: string): void {
    this.messages.push(`[ERROR] ${problem} [json-pointer:${pointer}]`);
  }

  object(value: unknown, pointer: string): Json | undefined {
    if (isObject(value)) return value;
    this.add(pointer, 'must provide an object');
    return undefined;
  }

  string(
    value: unknown,
    pointer: string,
    opts: { max?: number; min?: number; required?: boolean; field?: string } = {},
  ): string | undefined {
    if (value === undefined || value === null) {
      if (opts.required) this.add(parent(pointer), `missing required field: ${leaf(pointer)}`);
      return undefined;
    }
    if (typeof value !== 'string') {
      this.add(pointer, 'must be a string');
      return undefined;
    }
    const min = opts.min ?? 0;
    if (value.length < min) this.add(pointer, `must be more than ${min - 1} characters`);
    if (opts.max !== undefined && value.length > opts.max) {
      this.add(pointer, `must be less than ${opts.max + 1} characters`);
    }
    return value;
  }

  boolean(value: unknown, pointer: string): void {
    if (value !== undefined && typeof value !== 'boolean') this.add(pointer, 'must be a boolean');
  }

  integer(value: unknown, pointer: string, opts: { min?: number; max?: number } = {}): void {
    if (value === undefined) return;
    if (typeof value !== 'number' || !Number.isInteger(value)) {
      this.add(pointer, 'must be an integer');
      return;
    }
    if (opts.min !== undefined && value < opts.min) this.add(pointer, `must be at least ${opts.min}`);
    if (opts.max !== undefined && value > opts.max) this.add(pointer, `must be at most ${opts.max}`);
  }

  array(
    value: unknown,
    pointer: string,
    opts: { min?: number; max?: number; required?: boolean } = {},
  ): unknown[] | undefined {
    if (value === undefined) {
      if (opts.required) this.add(parent(pointer), `missing required field: ${leaf(pointer)}`);
      return undefined;
    }
    if (!Array.isArray(value)) {
      this.add(pointer, 'must provide an array');
      return undefined;
    }
    if (opts.min !== undefined && value.length < opts.min) {
      this.add(pointer, `must provide at least ${opts.min} items`);
    }
    if (opts.max !== undefined && value.length > opts.max) this.add(pointer, `no more than ${opts.max} items allowed`);
    return value;
  }

  /** A composition text object: `{type: 'plain_text'|'mrkdwn', text}`. */
  text(
    value: unknown,
    pointer: string,
    opts: { max: number; plainOnly?: boolean; required?: boolean; min?: number },
  ): string | undefined {
    if (value === undefined) {
      if (opts.required ?? true) this.add(parent(pointer), `missing required field: ${leaf(pointer)}`);
      return undefined;
    }
    const obj = this.object(value, pointer);
    if (!obj) return undefined;
    const allowed = opts.plainOnly ? ['plain_text'] : ['plain_text', 'mrkdwn'];
    if (typeof obj.type !== 'string' || !allowed.includes(obj.type)) {
      this.add(`${pointer}/type`, `must be one of ${allowed.join(', ')}`);
    }
    if (obj.type === 'mrkdwn' && 'emoji' in obj) this.add(`${pointer}/emoji`, 'is not allowed for mrkdwn');
    this.boolean(obj.emoji, `${pointer}/emoji`);
    this.boolean(obj.verbatim, `${pointer}/verbatim`);
    return this.string(obj.text, `${pointer}/text`, { max: opts.max, min: opts.min ?? 1, required: true });
  }

  /** `block_id`/`action_id`: optional, ≤ 255, unique within `seen`. */
  id(value: unknown, pointer: string, seen: Set<string>, what: string): void {
    const id = this.string(value, pointer, { max: LIMITS.id, min: 1 });
    if (id === undefined) return;
    if (seen.has(id)) this.add(pointer, `duplicate ${what} "${id}"`);
    seen.add(id);
  }
}

function parent(pointer: string): string {
  const at = pointer.lastIndexOf('/');
  return at <= 0 ? '/' : pointer.slice(0, at);
}

function leaf(pointer: string): string {
  return pointer.slice(pointer.lastIndexOf('/') + 1);
}

const BLOCK_TYPES: Record<Surface, ReadonlySet<string>> = {
  // `markdown` and `file` exist only in messages.
  message: new Set([
    'section',
    'header',
    'divider',
    'context',
    'actions',
    'input',
    'image',
    'markdown',
    'rich_text',
    'video',
    'file',
  ]),
  modal: new Set(['section', 'header', 'divider', 'context', 'actions', 'input', 'image', 'rich_text', 'video']),
  home: new Set(['section', 'header', 'divider', 'context', 'actions', 'input', 'image', 'rich_text', 'video']),
};

const SINGLE_SELECTS = ['static_select', 'external_select', 'users_select', 'conversations_select', 'channels_select'];
const MULTI_SELECTS = SINGLE_SELECTS.map((s) => `multi_${s}`);
const PICKERS = ['datepicker', 'timepicker', 'datetimepicker'];

const ACTIONS_ELEMENTS = new Set([
  'button',
  ...SINGLE_SELECTS,
  ...MULTI_SELECTS,
  'overflow',
  ...PICKERS,
  'checkboxes',
  'radio_buttons',
  'workflow_button',
  'rich_text_input',
]);
const ACCESSORY_ELEMENTS = new Set([
  'button',
  ...SINGLE_SELECTS,
  ...MULTI_SELECTS,
  'overflow',
  ...PICKERS,
  'checkboxes',
  'radio_buttons',
  'image',
  'workflow_button',
]);
const INPUT_ELEMENTS = new Set([
  ...SINGLE_SELECTS,
  ...MULTI_SELECTS,
  ...PICKERS,
  'checkboxes',
  'radio_buttons',
  'plain_text_input',
  'number_input',
  'email_text_input',
  'url_text_input',
  'rich_text_input',
  'file_input',
]);

function checkConfirm(c: Checker, value: unknown, pointer: string): void {
  if (value === undefined) return;
  const confirm = c.object(value, pointer);
  if (!confirm) return;
  c.text(confirm.title, `${pointer}/title`, { max: LIMITS.confirmTitle, plainOnly: true });
  c.text(confirm.text, `${pointer}/text`, { max: LIMITS.confirmText });
  c.text(confirm.confirm, `${pointer}/confirm`, { max: LIMITS.confirmButton, plainOnly: true });
  c.text(confirm.deny, `${pointer}/deny`, { max: LIMITS.confirmButton, plainOnly: true });
  if (confirm.style !== undefined && confirm.style !== 'primary' && confirm.style !== 'danger') {
    c.add(`${pointer}/style`, 'must be one of primary, danger');
  }
}

/** An option object; returns its value so initial options can be matched against the list. */
function checkOption(
  c: Checker,
  value: unknown,
  pointer: string,
  opts: { plainOnly: boolean; url?: boolean },
): string | undefined {
  const option = c.object(value, pointer);
  if (!option) return undefined;
  c.text(option.text, `${pointer}/text`, { max: LIMITS.optionText, plainOnly: opts.plainOnly });
  const v = c.string(option.value, `${pointer}/value`, { max: LIMITS.optionValue, min: 1, required: true });
  c.text(option.description, `${pointer}/description`, {
    max: LIMITS.optionDescription,
    plainOnly: opts.plainOnly,
    required: false,
  });
  if (option.url !== undefined) {
    if (opts.url) c.string(option.url, `${pointer}/url`, { max: LIMITS.url });
    else c.add(`${pointer}/url`, 'is only allowed in overflow menus');
  }
  return v;
}

function checkOptions(
  c: Checker,
  value: unknown,
  pointer: string,
  opts: { min: number; max: number; plainOnly: boolean; url?: boolean; required?: boolean },
): Set<string> {
  const values = new Set<string>();
  const list = c.array(value, pointer, { min: opts.min, max: opts.max, required: opts.required ?? true });
  list?.forEach((o, i) => {
    const v = checkOption(c, o, `${pointer}/${i}`, opts);
    if (v !== undefined) values.add(v);
  });
  return values;
}

/** `initial_option(s)` must be one of the element's options (Slack rejects the view otherwise). */
function checkInitialOptions(c: Checker, el: Json, pointer: string, known: Set<string> | undefined): void {
  const check = (o: unknown, p: string) => {
    const v = checkOption(c, o, p, { plainOnly: false });
    if (known && v !== undefined && !known.has(v)) c.add(p, 'must match one of the provided options');
  };
  if (el.initial_option !== undefined) check(el.initial_option, `${pointer}/initial_option`);
  if (el.initial_options !== undefined) {
    for (const [i, o] of (c.array(el.initial_options, `${pointer}/initial_options`) ?? []).entries()) {
      check(o, `${pointer}/initial_options/${i}`);
    }
  }
}

function checkSelect(c: Checker, el: Json, pointer: string, type: string): void {
  c.text(el.placeholder, `${pointer}/placeholder`, { max: LIMITS.placeholder, plainOnly: true, required: false });
  const multi = type.startsWith('multi_');
  if (multi) c.integer(el.max_selected_items, `${pointer}/max_selected_items`, { min: 1 });
  const base = multi ? type.slice('multi_'.length) : type;
  if (base === 'static_select') {
    const hasOptions = el.options !== undefined;
    const hasGroups = el.option_groups !== undefined;
    if (hasOptions === hasGroups) {
      c.add(pointer, 'must provide exactly one of options or option_groups');
      return;
    }
    let known: Set<string>;
    if (hasOptions) {
      known = checkOptions(c, el.options, `${pointer}/options`, {
        min: 1,
        max: LIMITS.selectOptions,
        plainOnly: true,
      });
    } else {
      known = new Set();
      c.array(el.option_groups, `${pointer}/option_groups`, { min: 1, max: LIMITS.selectOptions })?.forEach((g, i) => {
        const group = c.object(g, `${pointer}/option_groups/${i}`);
        if (!group) return;
        c.text(group.label, `${pointer}/option_groups/${i}/label`, { max: LIMITS.optionGroupLabel, plainOnly: true });
        for (const v of checkOptions(c, group.options, `${pointer}/option_groups/${i}/options`, {
          min: 1,
          max: LIMITS.selectOptions,
          plainOnly: true,
        })) {
          known.add(v);
        }
      });
    }
    checkInitialOptions(c, el, pointer, known);
  } else if (base === 'external_select') {
    c.integer(el.min_query_length, `${pointer}/min_query_length`, { min: 0 });
    checkInitialOptions(c, el, pointer, undefined);
  }
}

function checkElement(
  c: Checker,
  value: unknown,
  pointer: string,
  allowed: ReadonlySet<string>,
  actionIds: Set<string>,
): void {
  const el = c.object(value, pointer);
  if (!el) return;
  const type = el.type;
  if (typeof type !== 'string') {
    c.add(pointer, 'missing required field: type');
    return;
  }
  if (!allowed.has(type)) {
    c.add(pointer, `element type "${type}" is not allowed here`);
    return;
  }
  if (type !== 'image') c.id(el.action_id, `${pointer}/action_id`, actionIds, 'action_id');
  checkConfirm(c, el.confirm, `${pointer}/confirm`);
  c.boolean(el.focus_on_load, `${pointer}/focus_on_load`);

  if (SINGLE_SELECTS.includes(type) || MULTI_SELECTS.includes(type)) {
    checkSelect(c, el, pointer, type);
    return;
  }
  switch (type) {
    case 'button':
      c.text(el.text, `${pointer}/text`, { max: LIMITS.buttonText, plainOnly: true });
      c.string(el.value, `${pointer}/value`, { max: LIMITS.buttonValue });
      c.string(el.url, `${pointer}/url`, { max: LIMITS.url });
      c.string(el.accessibility_label, `${pointer}/accessibility_label`, { max: LIMITS.buttonText });
      if (el.style !== undefined && el.style !== 'primary' && el.style !== 'danger') {
        c.add(`${pointer}/style`, 'must be one of primary, danger');
      }
      return;
    case 'workflow_button':
      c.text(el.text, `${pointer}/text`, { max: LIMITS.buttonText, plainOnly: true });
      c.object(el.workflow, `${pointer}/workflow`);
      return;
    case 'overflow':
      checkOptions(c, el.options, `${pointer}/options`, {
        min: LIMITS.overflowMin,
        max: LIMITS.overflowMax,
        plainOnly: true,
        url: true,
      });
      return;
    case 'checkboxes':
    case 'radio_buttons': {
      const known = checkOptions(c, el.options, `${pointer}/options`, {
        min: 1,
        max: LIMITS.choiceOptions,
        plainOnly: false,
      });
      checkInitialOptions(c, el, pointer, known);
      return;
    }
    case 'datepicker':
      c.text(el.placeholder, `${pointer}/placeholder`, { max: LIMITS.placeholder, plainOnly: true, required: false });
      if (el.initial_date !== undefined && !/^\d{4}-\d{2}-\d{2}$/.test(String(el.initial_date))) {
        c.add(`${pointer}/initial_date`, 'must be in the format YYYY-MM-DD');
      }
      return;
    case 'timepicker':
      c.text(el.placeholder, `${pointer}/placeholder`, { max: LIMITS.placeholder, plainOnly: true, required: false });
      if (el.initial_time !== undefined && !/^\d{2}:\d{2}$/.test(String(el.initial_time))) {
        c.add(`${pointer}/initial_time`, 'must be in the format HH:mm');
      }
      return;
    case 'datetimepicker':
      c.integer(el.initial_date_time, `${pointer}/initial_date_time`, { min: 0 });
      return;
    case 'plain_text_input': {
      c.text(el.placeholder, `${pointer}/placeholder`, { max: LIMITS.placeholder, plainOnly: true, required: false });
      c.string(el.initial_value, `${pointer}/initial_value`);
      c.boolean(el.multiline, `${pointer}/multiline`);
      c.integer(el.min_length, `${pointer}/min_length`, { min: 0, max: LIMITS.plainTextInputLength });
      c.integer(el.max_length, `${pointer}/max_length`, { min: 1, max: LIMITS.plainTextInputLength });
      if (typeof el.min_length === 'number' && typeof el.max_length === 'number' && el.min_length > el.max_length) {
        c.add(`${pointer}/min_length`, 'must not be greater than max_length');
      }
      return;
    }
    case 'number_input':
      if (typeof el.is_decimal_allowed !== 'boolean') c.add(pointer, 'missing required field: is_decimal_allowed');
      c.text(el.placeholder, `${pointer}/placeholder`, { max: LIMITS.placeholder, plainOnly: true, required: false });
      for (const key of ['initial_value', 'min_value', 'max_value']) {
        const v = el[key];
        if (v !== undefined && (typeof v !== 'string' || Number.isNaN(Number(v)))) {
          c.add(`${pointer}/${key}`, 'must be a numeric string');
        }
      }
      return;
    case 'email_text_input':
    case 'url_text_input':
      c.text(el.placeholder, `${pointer}/placeholder`, { max: LIMITS.placeholder, plainOnly: true, required: false });
      c.string(el.initial_value, `${pointer}/initial_value`);
      return;
    case 'file_input':
      c.integer(el.max_files, `${pointer}/max_files`, { min: 1, max: LIMITS.maxFiles });
      return;
    case 'image':
      checkImageSource(c, el, pointer);
      return;
    default:
      // rich_text_input: structure not validated beyond its type.
      return;
  }
}

function checkImageSource(c: Checker, el: Json, pointer: string): void {
  c.string(el.alt_text, `${pointer}/alt_text`, { max: LIMITS.imageAltText, min: 1, required: true });
  if (el.image_url === undefined && el.slack_file === undefined) {
    c.add(pointer, 'must provide one of image_url or slack_file');
  }
  c.string(el.image_url, `${pointer}/image_url`, { max: LIMITS.url });
}

function checkBlock(c: Checker, value: unknown, pointer: string, surface: Surface, blockIds: Set<string>): void {
  const block = c.object(value, pointer);
  if (!block) return;
  const type = block.type;
  if (typeof type !== 'string') {
    c.add(pointer, 'missing required field: type');
    return;
  }
  if (!BLOCK_TYPES[surface].has(type)) {
    c.add(pointer, `failed to match all allowed schemas (block type "${type}" is not allowed in a ${surface})`);
    return;
  }
  c.id(block.block_id, `${pointer}/block_id`, blockIds, 'block_id');
  const actionIds = new Set<string>();
  switch (type) {
    case 'section': {
      if (block.text === undefined && block.fields === undefined) {
        c.add(pointer, 'must provide at least one of text or fields');
      }
      c.text(block.text, `${pointer}/text`, { max: LIMITS.sectionText, required: false });
      c.array(block.fields, `${pointer}/fields`, { min: 1, max: LIMITS.sectionFields })?.forEach((f, i) => {
        c.text(f, `${pointer}/fields/${i}`, { max: LIMITS.sectionFieldText });
      });
      if (block.accessory !== undefined) {
        checkElement(c, block.accessory, `${pointer}/accessory`, ACCESSORY_ELEMENTS, actionIds);
      }
      c.boolean(block.expand, `${pointer}/expand`);
      return;
    }
    case 'header':
      c.text(block.text, `${pointer}/text`, { max: LIMITS.headerText, plainOnly: true });
      return;
    case 'divider':
      return;
    case 'context': {
      const elements = c.array(block.elements, `${pointer}/elements`, {
        min: 1,
        max: LIMITS.contextElements,
        required: true,
      });
      for (const [i, el] of (elements ?? []).entries()) {
        const p = `${pointer}/elements/${i}`;
        if (isObject(el) && el.type === 'image') checkImageSource(c, el, p);
        else c.text(el, p, { max: LIMITS.sectionText });
      }
      return;
    }
    case 'actions': {
      const elements = c.array(block.elements, `${pointer}/elements`, {
        min: 1,
        max: LIMITS.actionsElements,
        required: true,
      });
      for (const [i, el] of (elements ?? []).entries()) {
        checkElement(c, el, `${pointer}/elements/${i}`, ACTIONS_ELEMENTS, actionIds);
      }
      return;
    }
    case 'input':
      c.text(block.label, `${pointer}/label`, { max: LIMITS.inputLabel, plainOnly: true });
      c.text(block.hint, `${pointer}/hint`, { max: LIMITS.inputHint, plainOnly: true, required: false });
      c.boolean(block.optional, `${pointer}/optional`);
      c.boolean(block.dispatch_action, `${pointer}/dispatch_action`);
      if (block.element === undefined) c.add(pointer, 'missing required field: element');
      else checkElement(c, block.element, `${pointer}/element`, INPUT_ELEMENTS, actionIds);
      return;
    case 'image':
      checkImageSource(c, block, pointer);
      c.text(block.title, `${pointer}/title`, { max: LIMITS.imageAltText, plainOnly: true, required: false });
      return;
    case 'markdown':
      c.string(block.text, `${pointer}/text`, { max: LIMITS.markdownText, min: 1, required: true });
      return;
    case 'rich_text':
      c.array(block.elements, `${pointer}/elements`, { required: true });
      return;
    case 'video':
      for (const key of ['alt_text', 'thumbnail_url', 'video_url']) {
        c.string(block[key], `${pointer}/${key}`, { min: 1, required: true });
      }
      c.text(block.title, `${pointer}/title`, { max: 200, plainOnly: true });
      return;
    case 'file':
      c.string(block.external_id, `${pointer}/external_id`, { min: 1, required: true });
      c.string(block.source, `${pointer}/source`, { min: 1, required: true });
      return;
    default:
      return;
  }
}

function checkBlockList(c: Checker, blocks: unknown, pointer: string, surface: Surface): void {
  const max = surface === 'message' ? LIMITS.messageBlocks : LIMITS.viewBlocks;
  const list = c.array(blocks, pointer, { max, required: true });
  const blockIds = new Set<string>();
  for (const [i, b] of (list ?? []).entries()) checkBlock(c, b, `${pointer}/${i}`, surface, blockIds);
}

/** A refusal the way Slack answers it: an error code and, where Slack gives them, `response_metadata.messages`. */
export interface Rejection {
  error: string;
  messages?: string[];
}

/** Total characters under every `text` key, the quantity behind Slack's undocumented `msg_blocks_too_long`. */
export function blockTextLength(value: unknown): number {
  if (Array.isArray(value)) return value.reduce<number>((sum, v) => sum + blockTextLength(v), 0);
  if (!isObject(value)) return 0;
  let sum = 0;
  for (const [key, v] of Object.entries(value)) {
    if (key === 'text' && typeof v === 'string') sum += v.length;
    else sum += blockTextLength(v);
  }
  return sum;
}

/**
 * Blocks of a message (chat.postMessage, chat.update, chat.postEphemeral, response_url). `blocks` is the decoded field;
 * a string here means the form field was not valid JSON.
 */
export function checkMessageBlocks(blocks: unknown, limits: { blockText?: number } = {}): Rejection | undefined {
  if (!Array.isArray(blocks)) {
    return { error: 'invalid_blocks_format', messages: ['[ERROR] must provide an array [json-pointer:/blocks]'] };
  }
  const c = new Checker();
  checkBlockList(c, blocks, '/blocks', 'message');
  if (c.messages.length > 0) return { error: 'invalid_blocks', messages: c.messages };
  if (blockTextLength(blocks) > (limits.blockText ?? LIMITS.messageBlockText)) return { error: 'msg_blocks_too_long' };
  return undefined;
}

/**
 * A view object for views.open/push/update (`modal`) or views.publish (`home`). Slack reports view problems as
 * `invalid_arguments` with pointers under `/view`, and size first as `view_too_large`.
 */
export function checkView(view: unknown, expected: 'modal' | 'home'): Rejection | undefined {
  if (!isObject(view)) {
    return { error: 'invalid_arguments', messages: ['[ERROR] must provide an object [json-pointer:/view]'] };
  }
  if (Buffer.byteLength(JSON.stringify(view), 'utf8') > LIMITS.viewBytes) return { error: 'view_too_large' };
  const c = new Checker();
  if (view.type !== expected) c.add('/view/type', `must be "${expected}"`);
  if (expected === 'modal') {
    c.text(view.title, '/view/title', { max: LIMITS.viewTitle, plainOnly: true });
    c.text(view.submit, '/view/submit', { max: LIMITS.viewButton, plainOnly: true, required: false });
    c.text(view.close, '/view/close', { max: LIMITS.viewButton, plainOnly: true, required: false });
    const hasInput = Array.isArray(view.blocks) && view.blocks.some((b) => isObject(b) && b.type === 'input');
    if (hasInput && view.submit === undefined) {
      c.add('/view', 'missing required field: submit (required when blocks contain an input block)');
    }
    c.boolean(view.clear_on_close, '/view/clear_on_close');
    c.boolean(view.notify_on_close, '/view/notify_on_close');
    c.boolean(view.submit_disabled, '/view/submit_disabled');
  }
  checkBlockList(c, view.blocks, '/view/blocks', expected);
  c.string(view.private_metadata, '/view/private_metadata', { max: LIMITS.privateMetadata });
  c.string(view.callback_id, '/view/callback_id', { max: LIMITS.callbackId });
  c.string(view.external_id, '/view/external_id', { max: LIMITS.externalId });
  return c.messages.length > 0 ? { error: 'invalid_arguments', messages: c.messages } : undefined;
}

/** Every block in a list with its block_id (if set) and its interactive elements, for finding what a user can act on. */
export function* walkElements(
  blocks: unknown,
): Generator<{ block: Json; blockId: string | undefined; element: Json; blockIndex: number }> {
  if (!Array.isArray(blocks)) return;
  for (const [blockIndex, block] of blocks.entries()) {
    if (!isObject(block)) continue;
    const blockId = typeof block.block_id === 'string' ? block.block_id : undefined;
    const elements: unknown[] = [];
    if (Array.isArray(block.elements) && block.type === 'actions') elements.push(...block.elements);
    if (block.accessory !== undefined) elements.push(block.accessory);
    if (block.element !== undefined) elements.push(block.element);
    for (const element of elements) {
      if (isObject(element)) yield { block, blockId, element, blockIndex };
    }
  }
}
