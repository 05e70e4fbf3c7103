/** Turns an ItemView into a VS Code tree item: one place for the views' common look. */
import * as vscode from 'vscode';
import type { ItemView } from './item-view';

export function toTreeItem(view: ItemView, expanded = false): vscode.TreeItem {
  const state = !view.expandable
    ? vscode.TreeItemCollapsibleState.None
    : expanded
      ? vscode.TreeItemCollapsibleState.Expanded
      : vscode.TreeItemCollapsibleState.Collapsed;
  const item = new vscode.TreeItem(view.label, state);
  item.description = view.description;
  item.tooltip = view.tooltip;
  item.iconPath = new vscode.ThemeIcon(view.icon);
  if (view.contextValue) item.contextValue = view.contextValue;
  if (view.command) item.command = { command: view.command.id, title: view.command.title, arguments: view.command.args };
  return item;
}
