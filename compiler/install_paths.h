/*
 * install_paths.h - where fdlc finds, at run time, what it ships with: the
 * runtime header fdlrt.h that generated libraries compile against.
 */
#ifndef FDL_INSTALL_PATHS_H
#define FDL_INSTALL_PATHS_H

/*
 * The directory holding fdlrt.h: $FDLC_INCLUDE when set; else, relative to
 * the running executable (/proc/self/exe), the installed include directory
 * (PREFIX/bin/fdlc -> PREFIX/include) or, for an fdlc run from its build
 * tree, BUILD/runtime/include. No absolute path is compiled in, so an
 * installed prefix can be moved. NULL (with a message on stderr saying where
 * it looked) when there is none. The result is a static buffer.
 */
const char *install_runtime_include_dir(void);

#endif
