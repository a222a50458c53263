# install.cmake - what `cmake --install BUILD --prefix P` puts under P, and
# the .deb CPack makes of the same files:
#
#   bin/fdlc                              the compiler (finds include/ from bin/)
#   lib/libfdlrt.a, lib/libfdlrt.so*      the runtime (SONAME libfdlrt.so.0)
#   include/fdlrt.h                       its one public header
#   lib/cmake/fdlc/                       find_package(fdlc): fdlc::fdlc,
#                                         fdlc::fdlrt, fdlc::fdlrt_static and
#                                         fdlc_add_features()
#   lib/pkgconfig/fdlrt.pc                pkg-config --cflags --libs fdlrt
#   share/man/man1/fdlc.1                 man fdlc
#   share/doc/fdlc/                       LICENSE, README.md, language.md, the
#                                         seed example and serve.c
#
# fdl-serve (examples/serve) is not installed: it is the seed example's
# definitions compiled into a demo, useless for other definitions; its source
# is installed as an example instead. Nothing here names a path of the
# source or build tree (tests/install checks the installed files).
include(CMakePackageConfigHelpers)

set(FDLC_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/fdlc)

install(TARGETS fdlc EXPORT fdlcTargets RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(TARGETS fdlrt fdlrt_static EXPORT fdlcTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(FILES ${PROJECT_SOURCE_DIR}/runtime/include/fdlrt.h DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})

# ---- fdl-server (server/, issue 10): its install line goes here, e.g.
# install(TARGETS fdl-server EXPORT fdlcTargets RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
# ---- end fdl-server

# The CMake package: imported targets, version, fdlc_add_features().
install(EXPORT fdlcTargets NAMESPACE fdlc:: DESTINATION ${FDLC_CMAKE_DIR})
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/fdlcConfig.cmake.in
                              ${PROJECT_BINARY_DIR}/cmake/fdlcConfig.cmake
                              INSTALL_DESTINATION ${FDLC_CMAKE_DIR})
# 0.x: a new minor version may change the ABI (fdlrt.h's FDL_ABI_VERSION).
write_basic_package_version_file(${PROJECT_BINARY_DIR}/cmake/fdlcConfigVersion.cmake
                                 VERSION ${PROJECT_VERSION} COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/cmake/fdlcConfig.cmake
              ${PROJECT_BINARY_DIR}/cmake/fdlcConfigVersion.cmake
              ${PROJECT_SOURCE_DIR}/cmake/FdlcAddFeatures.cmake
              ${PROJECT_SOURCE_DIR}/cmake/fdlc_compile.cmake
        DESTINATION ${FDLC_CMAKE_DIR})

# pkg-config: relocatable (prefix from the .pc file's own place).
file(RELATIVE_PATH FDLRT_PC_TO_PREFIX ${CMAKE_INSTALL_FULL_LIBDIR}/pkgconfig ${CMAKE_INSTALL_PREFIX})
string(REGEX REPLACE "/$" "" FDLRT_PC_TO_PREFIX "${FDLRT_PC_TO_PREFIX}")
configure_file(${PROJECT_SOURCE_DIR}/cmake/fdlrt.pc.in ${PROJECT_BINARY_DIR}/fdlrt.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/fdlrt.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)

install(FILES ${PROJECT_SOURCE_DIR}/docs/fdlc.1 DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
install(FILES ${PROJECT_SOURCE_DIR}/LICENSE ${PROJECT_SOURCE_DIR}/README.md
              ${PROJECT_SOURCE_DIR}/docs/language.md
        DESTINATION ${CMAKE_INSTALL_DOCDIR})
install(FILES ${PROJECT_SOURCE_DIR}/examples/seed/catalog.yaml
              ${PROJECT_SOURCE_DIR}/examples/seed/features.yaml
        DESTINATION ${CMAKE_INSTALL_DOCDIR}/examples/seed)
install(DIRECTORY ${PROJECT_SOURCE_DIR}/examples/seed/data
        DESTINATION ${CMAKE_INSTALL_DOCDIR}/examples/seed)
install(FILES ${PROJECT_SOURCE_DIR}/examples/serve/serve.c
        DESTINATION ${CMAKE_INSTALL_DOCDIR}/examples/serve)

# CPack: `cpack -G DEB` in the build directory makes fdlc_VERSION_ARCH.deb.
set(CPACK_PACKAGE_NAME fdlc)
set(CPACK_PACKAGE_VENDOR "fdlc")
set(CPACK_PACKAGE_CONTACT "fdlc maintainers <fdlc@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "compiler for declarative ML feature definitions, and its runtime")
set(CPACK_RESOURCE_FILE_LICENSE ${PROJECT_SOURCE_DIR}/LICENSE)
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION devel)
# fdlc runs the C compiler on generated code; shlibdeps finds libyaml and libc.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "gcc | c-compiler, libc6-dev")
include(CPack)
