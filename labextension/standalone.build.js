// The run page outside the Lab shell (/kfsm-lab/ui/): the same modules as the lab extension's run
// page, bundled on their own with Rspack into the server extension's static folder.
const path = require('path');
const { rspack, DefinePlugin } = require('@rspack/core');
const { version } = require('./package.json');

const production = process.argv.includes('--production') || process.env.NODE_ENV === 'production';

const config = {
  mode: production ? 'production' : 'development',
  devtool: production ? false : 'source-map',
  context: __dirname,
  entry: { runpage: './lib/standalone.js' },
  output: {
    path: path.resolve(__dirname, '../kfsm_lab/server/static'),
    filename: '[name].js',
    clean: true
  },
  module: {
    rules: [
      { test: /\.css$/, use: ['style-loader', 'css-loader'], type: 'javascript/auto' },
      { test: /\.svg$/, type: 'asset/source' },
      { test: /\.(woff2?|ttf|eot|png)$/, type: 'asset/inline' }
    ]
  },
  resolve: { extensions: ['.js'] },
  plugins: [new DefinePlugin({ __KFSM_VERSION__: JSON.stringify(version) })],
  performance: { hints: false }
};

rspack(config, (err, stats) => {
  if (err) {
    console.error(err);
    process.exit(1);
  }
  if (stats.hasErrors()) {
    console.error(stats.toString({ all: false, errors: true }));
    process.exit(1);
  }
  const asset = stats.toJson({ assets: true }).assets.find(a => a.name === 'runpage.js');
  console.log(`standalone run page: runpage.js ${Math.round((asset?.size ?? 0) / 1024)} KB`);
});
