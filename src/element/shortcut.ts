/**
 * The keyboard shortcut policy: Ctrl/Cmd+K opens search from anywhere (it types nothing), "/" only
 * outside text fields (there it is a character the reader is typing). Pure: the view passes what
 * it knows of the event.
 */
export interface KeyPress {
  key: string;
  ctrlKey: boolean;
  metaKey: boolean;
  altKey: boolean;
  defaultPrevented: boolean;
  /** The key went to something the reader types into (input, textarea, select, contenteditable). */
  inTextField: boolean;
}

export function isSearchShortcut(press: KeyPress): boolean {
  if (press.defaultPrevented || press.altKey) return false;
  if ((press.ctrlKey || press.metaKey) && press.key.toLowerCase() === 'k') return true;
  return press.key === '/' && !press.ctrlKey && !press.metaKey && !press.inTextField;
}

/** The shortcut as the trigger button shows it: ⌘K on Apple platforms, Ctrl K elsewhere. */
export function shortcutLabel(platform: string): string {
  return /mac|iphone|ipad|ipod/i.test(platform) ? '⌘K' : 'Ctrl K';
}

/** `aria-keyshortcuts` for the trigger. */
export function shortcutKeys(platform: string): string {
  return /mac|iphone|ipad|ipod/i.test(platform) ? 'Meta+K /' : 'Control+K /';
}
