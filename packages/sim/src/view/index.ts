/**
 * Theory of operation: the viewer — a trace as one self-contained HTML
 * timeline a person can read (docs/architecture.md §8). This barrel is what
 * the package index re-exports; nothing outside the folder reaches in.
 */
export { renderTimeline, renderModel, type RenderOptions } from './render-html.js';
export { renderTimelineFile, renderTimelineFileWithModel } from './render-file.js';
export {
  buildTimeline,
  TimelineBuilder,
  MARKER_KINDS,
  type TimelineModel,
  type TimelineOptions,
  type Lane,
  type LaneStatus,
  type Marker,
  type MarkerKind,
  type OnlineSpan,
  type TakeoverLink,
  type HubRestart,
} from './timeline-model.js';
