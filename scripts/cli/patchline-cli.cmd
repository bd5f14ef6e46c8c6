@echo off
rem The `patchline` command line of the installed app (Windows: beside PatchLine.exe). The app binary runs as Node
rem (ELECTRON_RUN_AS_NODE), so no separate Node is needed and the native modules match. Usage: patchline-cli --help
setlocal
set ELECTRON_RUN_AS_NODE=1
"%~dp0PatchLine.exe" "%~dp0resources\app.asar.unpacked\dist\electron\cli.mjs" %*
exit /b %ERRORLEVEL%
