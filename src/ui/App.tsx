import { Box } from 'ink';
import React, { useEffect } from 'react';
import { ConfirmDialog } from './ConfirmDialog.js';
import type { Dashboard } from './dashboard.js';
import { Footer } from './Footer.js';
import { Header } from './Header.js';
import { HelpOverlay } from './HelpOverlay.js';
import { DashboardContext, useDashboard, useFleet, useTerminalSize, useUi } from './hooks.js';
import { JobsTable } from './JobsTable.js';
import { KeyRouter } from './KeyRouter.js';
import { LaunchForm } from './LaunchForm.js';
import { computeLayout, tooSmallMessage, type Layout } from './layout.js';
import { DiffView } from './DiffView.js';
import { LogView } from './LogView.js';
import { PreviewPane } from './PreviewPane.js';
import { StatusBar } from './StatusBar.js';
import { WorkersPane } from './WorkersPane.js';
import { Text } from './Text.js';

/** The dashboard: provides the model to every component and lays the screen out. */
export function App({ dashboard }: { readonly dashboard: Dashboard }): React.JSX.Element {
  return (
    <DashboardContext.Provider value={dashboard}>
      <Screen />
    </DashboardContext.Provider>
  );
}

function Screen(): React.JSX.Element {
  const dashboard = useDashboard();
  const { columns, rows } = useTerminalSize();
  const workers = useFleet((s) => s.workerOrder.length + s.unmanagedVms.length);
  const layout = computeLayout(columns, rows, workers, dashboard.wallboard);
  const setViewport = useUi((s) => s.setViewport);
  useEffect(() => {
    setViewport('jobs', layout.jobRows);
    setViewport('log', layout.bodyLines);
    setViewport('help', layout.bodyLines);
  }, [setViewport, layout.jobRows, layout.bodyLines]);
  if (layout.tooSmall) {
    return (
      <Box flexDirection="column" width={layout.width}>
        <KeyRouter tooSmall />
        <Text wrap="truncate">{tooSmallMessage(columns, rows)}</Text>
        <Footer width={layout.width} tooSmall />
      </Box>
    );
  }
  return (
    <Box flexDirection="column" width={layout.width} height={layout.height}>
      <KeyRouter />
      <Header width={layout.width} />
      <Body layout={layout} />
      <StatusBar />
      <Footer width={layout.width} />
    </Box>
  );
}

function Body({ layout }: { readonly layout: Layout }): React.JSX.Element {
  const overlay = useUi((s) => s.overlay);
  const lines = layout.height - 3;
  switch (overlay.kind) {
    case 'help':
      return <HelpOverlay width={layout.width} lines={layout.bodyLines} />;
    case 'log':
      return <LogView jobKey={overlay.jobKey} follow={overlay.follow} scroll={overlay.scroll} width={layout.width} lines={layout.bodyLines} />;
    case 'diff':
      return <DiffView jobKey={overlay.jobKey} scroll={overlay.scroll} width={layout.width} lines={layout.bodyLines} />;
    case 'confirm':
      return <ConfirmDialog request={overlay.request} width={layout.width} lines={lines} />;
    case 'launch':
      return <LaunchForm form={overlay.form} width={layout.width} lines={lines} />;
    case 'none':
      return <Panes layout={layout} />;
  }
}

function Panes({ layout }: { readonly layout: Layout }): React.JSX.Element {
  const tableWidth = layout.previewBeside ? layout.width - layout.previewWidth - 1 : layout.width;
  return (
    <Box flexDirection="column" width={layout.width}>
      <WorkersPane width={layout.width} rows={layout.workerRows} />
      {layout.previewBeside ? (
        <Box flexDirection="row" width={layout.width}>
          <JobsTable width={tableWidth} rows={layout.jobRows} />
          <Box width={1} />
          <PreviewPane width={layout.previewWidth} lines={layout.previewLines} />
        </Box>
      ) : (
        <>
          <JobsTable width={layout.width} rows={layout.jobRows} />
          {layout.previewLines > 0 ? <PreviewPane width={layout.width} lines={layout.previewLines} /> : null}
        </>
      )}
    </Box>
  );
}
