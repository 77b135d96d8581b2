import { LabIcon } from '@jupyterlab/ui-components';

// Three pipeline steps feeding an endpoint, drawn in the theme's icon colour (side bar, tabs).
const PIPELINE_SVG = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24" width="16">
  <g class="jp-icon3" fill="#616161">
    <rect x="2" y="3" width="7" height="5" rx="1"/>
    <rect x="2" y="16" width="7" height="5" rx="1"/>
    <rect x="15" y="9.5" width="7" height="5" rx="1"/>
    <path d="M9 5.5h3v5.5h3v2h-3v5.5H9v-2h1v-3.5H9v-2h1V7.5H9z"/>
  </g>
</svg>`;

// The launcher card's icon: the same shape in colour (blue steps, orange endpoint), with outlines
// that keep at least 3:1 against both the light and the dark launcher background.
const PIPELINE_COLOR_SVG = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24" width="52">
  <rect x="2" y="3" width="7" height="5" rx="1" fill="#1967d2" stroke="#0b3d91" stroke-width="0.5"/>
  <rect x="2" y="16" width="7" height="5" rx="1" fill="#1967d2" stroke="#0b3d91" stroke-width="0.5"/>
  <rect x="15" y="9.5" width="7" height="5" rx="1" fill="#e37400" stroke="#8a4500" stroke-width="0.5"/>
  <path d="M9 5.5h3v5.5h3v2h-3v5.5H9v-2h1v-3.5H9v-2h1V7.5H9z" fill="#5f6b7a"/>
</svg>`;

/** The coloured icon as an image URL: the launcher's Notebook row shows kernel-style images. */
export const pipelineColorUrl = `data:image/svg+xml;utf8,${encodeURIComponent(PIPELINE_COLOR_SVG)}`;

export const pipelineIcon = new LabIcon({ name: 'kfsm-lab:pipeline', svgstr: PIPELINE_SVG });
export const pipelineColorIcon = new LabIcon({
  name: 'kfsm-lab:pipeline-color',
  svgstr: PIPELINE_COLOR_SVG
});
