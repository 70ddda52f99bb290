#!/usr/bin/env node
// The `auditready` command. A committed launcher (not the build output) so that package managers
// can link it before the package is built, as npm does in a fresh workspace checkout.
import '../dist/bin.js';
