// Merged into the lab extension's Rspack build by @jupyter/builder: the version comes from
// package.json alone (the Python package reads the same number from its metadata).
const { DefinePlugin } = require('@rspack/core');
const { version } = require('./package.json');

module.exports = {
  plugins: [new DefinePlugin({ __KFSM_VERSION__: JSON.stringify(version) })]
};
