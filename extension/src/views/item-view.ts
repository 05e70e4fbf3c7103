/** What a tree item shows, without VS Code types (the views' item builders are tested on their own). */
export interface ItemView {
  label: string;
  description: string;
  /** A codicon id. */
  icon: string;
  tooltip: string;
  contextValue?: string;
  expandable?: boolean;
  /** What a click runs (command id and its arguments). */
  command?: { id: string; title: string; args: unknown[] };
}
