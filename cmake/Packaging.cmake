# The Debian package: `cmake --build build --target package` makes servicesmgr_<version>_amd64.deb
# with servicesmgr, servicesctl, sm-demo-service, the systemd unit and its options file
# (examples/systemd/, installed as /etc/servicesmgr/servicesmgr.conf, a conffile) and the docs.
# Depends comes from dpkg-shlibdeps (dpkg-dev, part of build-essential): the Debian packages of
# the libraries the binaries actually link (libzookeeper-mt2, libyaml-cpp0.7, spdlog, fmt, ...).
include(GNUInstallDirs)

install(TARGETS servicesmgr servicesctl sm-demo-service sm-lock RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})

# The unit names the binaries where the package puts them.
file(READ ${PROJECT_SOURCE_DIR}/examples/systemd/servicesmgr.service SM_UNIT)
string(REPLACE "/usr/local/bin/" "/usr/bin/" SM_UNIT "${SM_UNIT}")
string(REPLACE "/usr/local/share/doc/" "/usr/share/doc/" SM_UNIT "${SM_UNIT}")
file(WRITE ${CMAKE_BINARY_DIR}/packaging/servicesmgr.service "${SM_UNIT}")
install(FILES ${CMAKE_BINARY_DIR}/packaging/servicesmgr.service DESTINATION lib/systemd/system)
install(FILES ${PROJECT_SOURCE_DIR}/examples/systemd/servicesmgr.conf
  DESTINATION /etc/servicesmgr PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ)
install(DIRECTORY ${PROJECT_SOURCE_DIR}/docs/ DESTINATION ${CMAKE_INSTALL_DATADIR}/doc/servicesmgr
  FILES_MATCHING PATTERN "*.md")
install(DIRECTORY ${PROJECT_SOURCE_DIR}/examples/monitoring/
  DESTINATION ${CMAKE_INSTALL_DATADIR}/doc/servicesmgr/examples/monitoring
  PATTERN CMakeLists.txt EXCLUDE PATTERN check_test.sh EXCLUDE)

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME servicesmgr)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_PACKAGE_CONTACT "servicesmgr maintainers <servicesmgr@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
  "runs services across hosts with ZooKeeper as the source of truth (daemon and CLI)")
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION admin)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "adduser")
# --dev runs a private server from Debian's zookeeper package; production uses an ensemble.
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "zookeeper, prometheus, haproxy")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
  ${PROJECT_SOURCE_DIR}/packaging/debian/conffiles
  ${PROJECT_SOURCE_DIR}/packaging/debian/postinst)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
include(CPack)
