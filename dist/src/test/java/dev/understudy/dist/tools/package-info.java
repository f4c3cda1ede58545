/** Tests of the build's own tools: the script that installs the Debian programs the tests drive. */
package dev.understudy.dist.tools;
