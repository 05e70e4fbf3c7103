/**
 * Chart colours from the VS Code theme's CSS variables (canvas strokes cannot use var(), so they are read once per
 * theme and the charts are rebuilt when the theme changes: VS Code swaps the body class and the variables).
 */
export interface ChartTheme {
  foreground: string;
  grid: string;
  background: string;
  font: string;
  palette: string[];
}

const PALETTE = ['blue', 'red', 'green', 'yellow', 'orange', 'purple'];
const FALLBACK: Record<string, string> = {
  blue: '#3794ff',
  red: '#f14c4c',
  green: '#89d185',
  yellow: '#cca700',
  orange: '#d18616',
  purple: '#b180d7',
};

export function readTheme(): ChartTheme {
  const css = getComputedStyle(document.documentElement);
  const get = (name: string, fallback: string) => css.getPropertyValue(name).trim() || fallback;
  const foreground = get('--vscode-charts-foreground', get('--vscode-foreground', '#cccccc'));
  return {
    foreground,
    grid: get('--vscode-charts-lines', 'rgba(128, 128, 128, 0.35)'),
    background: get('--vscode-editor-background', '#1f1f1f'),
    font: `11px ${get('--vscode-font-family', 'sans-serif')}`,
    palette: PALETTE.map((c) => get(`--vscode-charts-${c}`, FALLBACK[c]!)),
  };
}

/** Calls back when VS Code switches theme (body class or the variables on <html> change). */
export function onThemeChange(callback: () => void): () => void {
  let pending = 0;
  const observer = new MutationObserver(() => {
    cancelAnimationFrame(pending);
    pending = requestAnimationFrame(callback);
  });
  observer.observe(document.body, { attributes: true, attributeFilter: ['class'] });
  observer.observe(document.documentElement, { attributes: true, attributeFilter: ['style', 'class'] });
  return () => observer.disconnect();
}
