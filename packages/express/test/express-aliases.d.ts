// express4 / express5 are npm aliases of express, installed side by side to test both majors.
declare module 'express4' {
  import express from 'express';
  export default express;
}
declare module 'express5' {
  import express from 'express';
  export default express;
}
