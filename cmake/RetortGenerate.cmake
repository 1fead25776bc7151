# Run as cmake -DRETORT=path/to/retort -DOUT=dir -P RetortGenerate.cmake (RetortInstall.cmake):
# the man pages (OUT/man1/*.1.gz, gzip -9n as Debian wants them) and the shell completions
# (OUT/completions/), each from the built binary's own command definitions.
file(REMOVE_RECURSE "${OUT}/man1" "${OUT}/completions")
file(MAKE_DIRECTORY "${OUT}/man1" "${OUT}/completions")
execute_process(COMMAND "${RETORT}" man --dir "${OUT}/man1" COMMAND_ERROR_IS_FATAL ANY)
file(GLOB pages "${OUT}/man1/*.1")
execute_process(COMMAND gzip -9nf ${pages} COMMAND_ERROR_IS_FATAL ANY)
foreach(shell_file IN ITEMS "bash;retort" "zsh;_retort" "fish;retort.fish")
  list(GET shell_file 0 shell)
  list(GET shell_file 1 name)
  execute_process(COMMAND "${RETORT}" completion ${shell} OUTPUT_FILE "${OUT}/completions/${name}"
    COMMAND_ERROR_IS_FATAL ANY)
endforeach()
# The Debian changelog beside them (RetortPackage.cmake writes it), compressed the same way.
if(EXISTS "${OUT}/changelog.Debian")
  execute_process(COMMAND gzip -9nkf "${OUT}/changelog.Debian" COMMAND_ERROR_IS_FATAL ANY)
endif()
