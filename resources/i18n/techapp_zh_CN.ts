<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="zh_CN">
<context>
    <name>AboutDialog</name>
    <message>
        <source>About techapp</source>
        <translation>关于 techapp</translation>
    </message>
    <message>
        <source>Diagnose and repair card-payment terminals.</source>
        <translation>银行卡支付终端的诊断与修复工具。</translation>
    </message>
    <message>
        <source>Licence: set by the publisher of this build. Built with Qt for Python (PySide6, LGPL-3.0), pyserial (BSD), pyiso8583 (MIT), pydantic (MIT) and platformdirs (MIT).</source>
        <translation>许可：由本版本的发行方规定。使用了 Qt for Python（PySide6，LGPL-3.0）、pyserial（BSD）、pyiso8583（MIT）、pydantic（MIT）和 platformdirs（MIT）。</translation>
    </message>
    <message>
        <source>Support: (placeholder: the publisher&apos;s support contact goes here)</source>
        <translation>技术支持：（占位：此处填写发行方的技术支持联系方式）</translation>
    </message>
</context>
<context>
    <name>Banner</name>
    <message>
        <source>Hide this message</source>
        <extracomment>The first window&apos;s size when nothing is remembered (shrunk to the screen&apos;s available area). Below this available area (logical pixels) the window is maximised: every pixel is needed. Room kept for the window manager&apos;s frame and title bar before the window is shown (pixels).</extracomment>
        <translation>隐藏此提示</translation>
    </message>
</context>
<context>
    <name>BenchMenu</name>
    <message>
        <source>Repair &amp;bench...</source>
        <translation>维修工作台(&amp;B)...</translation>
    </message>
</context>
<context>
    <name>BenchView</name>
    <message>
        <source>Bench &amp;password:</source>
        <translation>工作台密码(&amp;P)：</translation>
    </message>
    <message>
        <source>one password for every terminal</source>
        <translation>所有终端共用一个密码</translation>
    </message>
    <message>
        <source>&amp;Sign-on</source>
        <translation>签到(&amp;S)</translation>
    </message>
    <message>
        <source>Person &amp;tests (card, keys)</source>
        <translation>人工测试(&amp;T)（刷卡、按键）</translation>
    </message>
    <message>
        <source>&amp;Work orders (CSV)...</source>
        <translation>工单列表(&amp;W)（CSV）...</translation>
    </message>
    <message>
        <source>Add &amp;port...</source>
        <translation>添加端口(&amp;P)...</translation>
    </message>
    <message>
        <source>Diagnose &amp;all</source>
        <translation>全部诊断(&amp;A)</translation>
    </message>
    <message>
        <source>Diagnose &amp;selected</source>
        <translation>诊断所选(&amp;S)</translation>
    </message>
    <message>
        <source>S&amp;top all</source>
        <translation>全部停止(&amp;T)</translation>
    </message>
    <message>
        <source>&amp;Report...</source>
        <translation>服务报告(&amp;R)...</translation>
    </message>
    <message>
        <source>Bench su&amp;mmary...</source>
        <translation>工作台汇总(&amp;M)...</translation>
    </message>
    <message>
        <source>Filter (port, SN, TID, outcome...)</source>
        <translation>筛选（端口、序列号、终端号、结果……）</translation>
    </message>
    <message>
        <source>Waiting for a person at a terminal</source>
        <translation>等待终端旁的人员操作</translation>
    </message>
    <message>
        <source>Rea&amp;dy</source>
        <translation>就绪(&amp;D)</translation>
    </message>
    <message>
        <source>S&amp;kip</source>
        <translation>跳过(&amp;K)</translation>
    </message>
    <message>
        <source>Port</source>
        <translation>端口</translation>
    </message>
    <message>
        <source>Model</source>
        <translation>型号</translation>
    </message>
    <message>
        <source>Serial number</source>
        <translation>序列号</translation>
    </message>
    <message>
        <source>TID</source>
        <translation>终端号</translation>
    </message>
    <message>
        <source>State</source>
        <translation>状态</translation>
    </message>
    <message>
        <source>Outcome</source>
        <translation>结果</translation>
    </message>
    <message>
        <source>Elapsed</source>
        <translation>用时</translation>
    </message>
    <message>
        <source>%1 work orders, matched by serial number</source>
        <translation>%1 张工单，按序列号匹配</translation>
    </message>
    <message>
        <source>no work order list</source>
        <translation>未载入工单列表</translation>
    </message>
    <message>
        <source>diagnosing step %1 of %2: %3</source>
        <translation>正在诊断 第%1/%2步：%3</translation>
    </message>
    <message>
        <source>Work order list</source>
        <translation>工单列表</translation>
    </message>
    <message>
        <source>Work orders (*.csv *.toml *.json)</source>
        <translation>工单（*.csv *.toml *.json）</translation>
    </message>
    <message>
        <source>Add a port</source>
        <translation>添加端口</translation>
    </message>
    <message>
        <source>Port (device path, socket://, sim://):</source>
        <translation>端口（设备路径、socket://、sim://）：</translation>
    </message>
    <message>
        <source>Diagnose</source>
        <translation>诊断</translation>
    </message>
    <message>
        <source>Open the full view</source>
        <translation>打开完整视图</translation>
    </message>
    <message>
        <source>Password for this terminal...</source>
        <translation>此终端的密码...</translation>
    </message>
    <message>
        <source>Acquirer profile...</source>
        <translation>收单机构配置...</translation>
    </message>
    <message>
        <source>Work order...</source>
        <translation>工单...</translation>
    </message>
    <message>
        <source>Password</source>
        <translation>密码</translation>
    </message>
    <message>
        <source>Maintenance password of %1:</source>
        <translation>%1 的维护密码：</translation>
    </message>
    <message>
        <source>Acquirer profile</source>
        <translation>收单机构配置</translation>
    </message>
    <message>
        <source>Work order</source>
        <translation>工单</translation>
    </message>
    <message>
        <source>Work orders (*.toml *.json *.csv)</source>
        <translation>工单（*.toml *.json *.csv）</translation>
    </message>
    <message>
        <source>SN %1 on %2</source>
        <translation>序列号 %1，端口 %2</translation>
    </message>
    <message>
        <source>Bench summary</source>
        <translation>工作台汇总</translation>
    </message>
</context>
<context>
    <name>BenchWindow</name>
    <message>
        <source>Repair bench - techapp</source>
        <translation>维修工作台 - techapp</translation>
    </message>
</context>
<context>
    <name>ChecklistView</name>
    <message>
        <source>link lost</source>
        <translation>连接已断开</translation>
    </message>
    <message>
        <source>Connect to a terminal, then press Diagnose (F5).</source>
        <translation>请先连接终端，然后按“诊断”（F5）。</translation>
    </message>
    <message>
        <source>Link lost: these results are from before the link was lost; reconnect and diagnose again.</source>
        <translation>连接已断开：以下结果来自断开之前；请重新连接后再次诊断。</translation>
    </message>
    <message>
        <source>Observed</source>
        <translation>读到的值</translation>
    </message>
    <message>
        <source>Expected</source>
        <translation>应为</translation>
    </message>
    <message>
        <source>Compared with</source>
        <translation>对照</translation>
    </message>
    <message>
        <source>Time taken</source>
        <translation>用时</translation>
    </message>
    <message>
        <source>%1 ms</source>
        <translation>%1 毫秒</translation>
    </message>
    <message>
        <source>%1 passed</source>
        <translation>%1 项通过</translation>
    </message>
    <message>
        <source>%1 warnings</source>
        <translation>%1 项警告</translation>
    </message>
    <message>
        <source>%1 errors</source>
        <translation>%1 项错误</translation>
    </message>
    <message>
        <source>%1 failed</source>
        <translation>%1 项失败</translation>
    </message>
    <message>
        <source>%1 skipped</source>
        <translation>%1 项跳过</translation>
    </message>
    <message>
        <source>1 warning</source>
        <translation>1 项警告</translation>
    </message>
    <message>
        <source>1 error</source>
        <translation>1 项错误</translation>
    </message>
    <message>
        <source>, </source>
        <translation>、</translation>
    </message>
    <message>
        <source>Check</source>
        <translation>检查项</translation>
    </message>
    <message>
        <source>Result</source>
        <translation>结果</translation>
    </message>
</context>
<context>
    <name>ConfirmRestore</name>
    <message>
        <source>Confirm restore</source>
        <translation>确认恢复</translation>
    </message>
    <message>
        <source>Write these values from the backup of %1 to the terminal SN %2?</source>
        <translation>将 %1 的备份中的下列参数写入序列号 %2 的终端？</translation>
    </message>
    <message>
        <source>Parameter</source>
        <translation>参数</translation>
    </message>
    <message>
        <source>Now</source>
        <translation>当前值</translation>
    </message>
    <message>
        <source>After the restore</source>
        <translation>恢复后</translation>
    </message>
    <message>
        <source>First the terminal&apos;s current values are saved in a new backup; then the values are written all together and read back. STAN and batch number are not changed.</source>
        <translation>先把终端的当前参数保存为新的备份，然后一次性写入全部参数并回读核对。流水号和批次号不会改变。</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>取消</translation>
    </message>
    <message>
        <source>&amp;Write to the terminal</source>
        <translation>写入终端(&amp;W)</translation>
    </message>
</context>
<context>
    <name>ConnectPanel</name>
    <message>
        <source>Recognised payment terminal</source>
        <translation>已识别的支付终端</translation>
    </message>
    <message>
        <source>Terminal connection</source>
        <translation>终端连接</translation>
    </message>
    <message>
        <source>&amp;Port:</source>
        <translation>端口(&amp;P)：</translation>
    </message>
    <message>
        <source>/dev/ttyACM0, COM5, socket://host:port</source>
        <translation>/dev/ttyACM0、COM5、socket://主机:端口</translation>
    </message>
    <message>
        <source>Terminals recognised by their USB ID are listed first; any path or URL can be typed</source>
        <translation>按 USB ID 识别出的终端排在最前；也可直接输入任意路径或 URL</translation>
    </message>
    <message>
        <source>&amp;Built-in simulated terminal</source>
        <translation>内置模拟终端(&amp;B)</translation>
    </message>
    <message>
        <source>Practise or demonstrate without a terminal: choose a scenario</source>
        <translation>无需真实终端即可练习或演示：请选择场景</translation>
    </message>
    <message>
        <source>&amp;Scenario:</source>
        <translation>场景(&amp;S)：</translation>
    </message>
    <message>
        <source>Ba&amp;ud rate:</source>
        <translation>波特率(&amp;U)：</translation>
    </message>
    <message>
        <source>Proto&amp;col:</source>
        <translation>协议(&amp;C)：</translation>
    </message>
    <message>
        <source>The terminal&apos;s protocol; a simulated scenario chooses its own</source>
        <translation>终端的协议；模拟终端的场景自带协议</translation>
    </message>
    <message>
        <source>Pass&amp;word:</source>
        <translation>密码(&amp;W)：</translation>
    </message>
    <message>
        <source>maintenance password</source>
        <translation>维护密码</translation>
    </message>
    <message>
        <source>Kept in memory only, never saved; it never crosses the cable in clear</source>
        <translation>仅保存在内存中，不会写入磁盘；也不会以明文经过数据线</translation>
    </message>
    <message>
        <source>Disconnect</source>
        <translation>断开</translation>
    </message>
    <message>
        <source>Connect</source>
        <translation>连接</translation>
    </message>
    <message>
        <source>Ctrl+K</source>
        <translation>Ctrl+K</translation>
    </message>
</context>
<context>
    <name>CrashDialog</name>
    <message>
        <source>techapp stopped working</source>
        <translation>techapp 已停止运行</translation>
    </message>
    <message>
        <source>Something went wrong inside techapp. The terminal was not changed by this error. Please send the crash log below to your support contact.</source>
        <translation>techapp 内部出错。此错误没有改动终端。请把下面的崩溃日志发给技术支持。</translation>
    </message>
    <message>
        <source>Crash log: %1</source>
        <translation>崩溃日志：%1</translation>
    </message>
    <message>
        <source>The crash log could not be written.</source>
        <translation>无法写入崩溃日志。</translation>
    </message>
    <message>
        <source>Copy details</source>
        <translation>复制详细信息</translation>
    </message>
</context>
<context>
    <name>Evidence</name>
    <message>
        <source>active slot</source>
        <translation>当前密钥位</translation>
    </message>
    <message>
        <source>answered by</source>
        <translation>应答方</translation>
    </message>
    <message>
        <source>approved</source>
        <translation>已认证</translation>
    </message>
    <message>
        <source>backup host</source>
        <translation>备用主机</translation>
    </message>
    <message>
        <source>capacity</source>
        <translation>容量</translation>
    </message>
    <message>
        <source>charging</source>
        <translation>充电中</translation>
    </message>
    <message>
        <source>check value</source>
        <translation>校验值</translation>
    </message>
    <message>
        <source>response codes</source>
        <translation>应答码</translation>
    </message>
    <message>
        <source>counter</source>
        <translation>计数</translation>
    </message>
    <message>
        <source>cover</source>
        <translation>仓盖</translation>
    </message>
    <message>
        <source>charge cycles</source>
        <translation>充电循环次数</translation>
    </message>
    <message>
        <source>detail</source>
        <translation>详情</translation>
    </message>
    <message>
        <source>failed checks</source>
        <translation>未通过的检查</translation>
    </message>
    <message>
        <source>failure</source>
        <translation>故障</translation>
    </message>
    <message>
        <source>largest share allowed</source>
        <translation>允许的最大比例</translation>
    </message>
    <message>
        <source>smallest free share allowed</source>
        <translation>允许的最小剩余比例</translation>
    </message>
    <message>
        <source>free (KB)</source>
        <translation>可用（KB）</translation>
    </message>
    <message>
        <source>noise bytes</source>
        <translation>乱码字节数</translation>
    </message>
    <message>
        <source>print head (°C)</source>
        <translation>打印头温度（°C）</translation>
    </message>
    <message>
        <source>print head below (°C)</source>
        <translation>打印头温度上限（°C）</translation>
    </message>
    <message>
        <source>health (%)</source>
        <translation>健康度（%）</translation>
    </message>
    <message>
        <source>lowest health allowed (%)</source>
        <translation>允许的最低健康度（%）</translation>
    </message>
    <message>
        <source>host</source>
        <translation>主机</translation>
    </message>
    <message>
        <source>hosts</source>
        <translation>主机</translation>
    </message>
    <message>
        <source>slot</source>
        <translation>密钥位</translation>
    </message>
    <message>
        <source>key length</source>
        <translation>密钥长度</translation>
    </message>
    <message>
        <source>key type</source>
        <translation>密钥类型</translation>
    </message>
    <message>
        <source>keys left</source>
        <translation>剩余密钥数</translation>
    </message>
    <message>
        <source>KSN</source>
        <translation>KSN</translation>
    </message>
    <message>
        <source>laptop</source>
        <translation>笔记本</translation>
    </message>
    <message>
        <source>last</source>
        <translation>最近一次</translation>
    </message>
    <message>
        <source>last at</source>
        <translation>最近时间</translation>
    </message>
    <message>
        <source>charge (%)</source>
        <translation>电量（%）</translation>
    </message>
    <message>
        <source>network link up</source>
        <translation>网络已连接</translation>
    </message>
    <message>
        <source>loaded at</source>
        <translation>装载时间</translation>
    </message>
    <message>
        <source>counter limit</source>
        <translation>计数上限</translation>
    </message>
    <message>
        <source>clock difference (seconds)</source>
        <translation>时钟偏差（秒）</translation>
    </message>
    <message>
        <source>largest difference allowed (seconds)</source>
        <translation>允许的最大偏差（秒）</translation>
    </message>
    <message>
        <source>frames refused (NAK)</source>
        <translation>被拒收的帧（NAK）</translation>
    </message>
    <message>
        <source>network name</source>
        <translation>网络名称</translation>
    </message>
    <message>
        <source>outcome</source>
        <translation>结果</translation>
    </message>
    <message>
        <source>paper</source>
        <translation>纸</translation>
    </message>
    <message>
        <source>pending reversal</source>
        <translation>待冲正</translation>
    </message>
    <message>
        <source>present</source>
        <translation>已安装</translation>
    </message>
    <message>
        <source>primary host</source>
        <translation>主机地址</translation>
    </message>
    <message>
        <source>primary host missing</source>
        <translation>缺少主机地址</translation>
    </message>
    <message>
        <source>printer</source>
        <translation>打印机</translation>
    </message>
    <message>
        <source>production hosts</source>
        <translation>生产主机</translation>
    </message>
    <message>
        <source>protocol version</source>
        <translation>协议版本</translation>
    </message>
    <message>
        <source>response code</source>
        <translation>应答码</translation>
    </message>
    <message>
        <source>frames sent again</source>
        <translation>重发的帧</translation>
    </message>
    <message>
        <source>role</source>
        <translation>角色</translation>
    </message>
    <message>
        <source>roles</source>
        <translation>角色</translation>
    </message>
    <message>
        <source>key scheme</source>
        <translation>密钥体系</translation>
    </message>
    <message>
        <source>sent at</source>
        <translation>发送时间</translation>
    </message>
    <message>
        <source>serial number</source>
        <translation>序列号</translation>
    </message>
    <message>
        <source>signal (dBm)</source>
        <translation>信号强度（dBm）</translation>
    </message>
    <message>
        <source>master key slots</source>
        <translation>主密钥位</translation>
    </message>
    <message>
        <source>state</source>
        <translation>状态</translation>
    </message>
    <message>
        <source>tamper</source>
        <translation>防拆状态</translation>
    </message>
    <message>
        <source>total (KB)</source>
        <translation>总容量（KB）</translation>
    </message>
    <message>
        <source>unsettled transactions</source>
        <translation>未结算交易</translation>
    </message>
    <message>
        <source>used</source>
        <translation>已用</translation>
    </message>
    <message>
        <source>value</source>
        <translation>值</translation>
    </message>
    <message>
        <source>version</source>
        <translation>版本</translation>
    </message>
    <message>
        <source>working keys</source>
        <translation>工作密钥</translation>
    </message>
    <message>
        <source>where the fault lies</source>
        <translation>故障所在</translation>
    </message>
    <message>
        <source>echo tests</source>
        <translation>回响测试</translation>
    </message>
    <message>
        <source>what was seen</source>
        <translation>所见记录</translation>
    </message>
    <message>
        <source>no network carrier</source>
        <translation>无网络信号</translation>
    </message>
    <message>
        <source>no SIM card</source>
        <translation>无 SIM 卡</translation>
    </message>
    <message>
        <source>not registered on the mobile network</source>
        <translation>未注册到移动网络</translation>
    </message>
    <message>
        <source>no APN set</source>
        <translation>未设置 APN</translation>
    </message>
    <message>
        <source>mobile data refused</source>
        <translation>移动数据被拒绝</translation>
    </message>
    <message>
        <source>no Wi-Fi network set</source>
        <translation>未设置 Wi-Fi 网络</translation>
    </message>
    <message>
        <source>Wi-Fi network not found</source>
        <translation>找不到 Wi-Fi 网络</translation>
    </message>
    <message>
        <source>Wi-Fi password refused</source>
        <translation>Wi-Fi 密码错误</translation>
    </message>
    <message>
        <source>no IP address</source>
        <translation>未获得 IP 地址</translation>
    </message>
    <message>
        <source>new keys do not verify</source>
        <translation>新密钥校验失败</translation>
    </message>
    <message>
        <source>totals do not balance</source>
        <translation>总额不平</translation>
    </message>
    <message>
        <source>certificate not yet valid</source>
        <translation>证书尚未生效</translation>
    </message>
    <message>
        <source>certificate expired</source>
        <translation>证书已过期</translation>
    </message>
    <message>
        <source>certificate not trusted</source>
        <translation>证书不受信任</translation>
    </message>
    <message>
        <source>master/session, single-length keys</source>
        <translation>主密钥/工作密钥，单倍长</translation>
    </message>
    <message>
        <source>master/session, double-length keys</source>
        <translation>主密钥/工作密钥，双倍长</translation>
    </message>
    <message>
        <source>master/session, double-length keys with TDK</source>
        <translation>主密钥/工作密钥，双倍长（含磁道密钥）</translation>
    </message>
    <message>
        <source>DUKPT (TDES)</source>
        <translation>DUKPT（TDES）</translation>
    </message>
    <message>
        <source>nobody presented a card or pressed the keys</source>
        <translation>无人刷卡或按键</translation>
    </message>
    <message>
        <source>none</source>
        <translation>无</translation>
    </message>
    <message>
        <source>production host</source>
        <extracomment>Keys whose values are outcome or scheme ids (hosts, links, TLS, keys, tests).</extracomment>
        <translation>生产主机</translation>
    </message>
    <message>
        <source>sign-on via %1: %2</source>
        <translation>签到（经 %1）：%2</translation>
    </message>
    <message>
        <source>, response code %1</source>
        <translation>，应答码 %1</translation>
    </message>
    <message>
        <source>terminal</source>
        <translation>终端</translation>
    </message>
</context>
<context>
    <name>EvidenceHooks</name>
    <message>
        <source>Save evidence &amp;bundle...</source>
        <translation>保存证据包(&amp;B)...</translation>
    </message>
    <message>
        <source>One zip for the acquirer&apos;s help desk: report, diagnosis, traffic log, host traffic (pcap)</source>
        <translation>给收单机构客服的一个压缩包：服务报告、诊断结果、通信日志、主机报文（pcap）</translation>
    </message>
    <message>
        <source>Copy escalation text</source>
        <translation>复制上报文本</translation>
    </message>
    <message>
        <source>Save evidence bundle...</source>
        <translation>保存证据包...</translation>
    </message>
    <message>
        <source>Save evidence bundle</source>
        <translation>保存证据包</translation>
    </message>
    <message>
        <source>Zip files (*.zip)</source>
        <translation>压缩文件 (*.zip)</translation>
    </message>
    <message>
        <source>Evidence bundle saved: %1</source>
        <translation>证据包已保存：%1</translation>
    </message>
    <message>
        <source>The evidence bundle was not saved: %1</source>
        <translation>证据包未保存：%1</translation>
    </message>
</context>
<context>
    <name>FindingsView</name>
    <message>
        <source>Diagnosis running: the findings appear when every step has run.</source>
        <extracomment>steps the window&apos;s options switched off for the run shown -&gt; the option&apos;s label</extracomment>
        <translation>正在诊断：所有步骤完成后显示发现的问题。</translation>
    </message>
    <message>
        <source>No diagnosis yet.</source>
        <translation>尚未诊断。</translation>
    </message>
    <message>
        <source>The diagnosis could not run in full: </source>
        <translation>诊断未能全部完成：</translation>
    </message>
    <message>
        <source>Cancelled: the checks after the cancel did not run.</source>
        <translation>已取消：取消后的检查未运行。</translation>
    </message>
    <message>
        <source>%1 findings, most important first</source>
        <translation>%1 个问题，按重要程度排列</translation>
    </message>
    <message>
        <source>1 finding</source>
        <translation>1 个问题</translation>
    </message>
    <message>
        <source>Not tested: %1 (%2). %3</source>
        <translation>未测试：%1（%2）。%3</translation>
    </message>
    <message>
        <source>No findings: every check that ran passed.</source>
        <translation>未发现问题：所有已运行的检查均通过。</translation>
    </message>
    <message>
        <source>, </source>
        <translation>、</translation>
    </message>
    <message>
        <source>Incomplete: no fault found in what ran, but not tested: %1.</source>
        <translation>诊断不完整：已运行的检查未发现故障，但以下项目未测试：%1。</translation>
    </message>
    <message>
        <source>switched off in the Diagnosis box</source>
        <translation>已在“诊断”区关闭</translation>
    </message>
    <message>
        <source>Tick “%1” and press Diagnose again.</source>
        <translation>勾选“%1”后再次点击“诊断”。</translation>
    </message>
    <message>
        <source>Press Diagnose again and let it finish.</source>
        <translation>再次点击“诊断”，并等待诊断完成。</translation>
    </message>
    <message>
        <source>Severity</source>
        <translation>严重程度</translation>
    </message>
    <message>
        <source>Confidence: %1</source>
        <translation>可信度：%1</translation>
    </message>
    <message>
        <source>Cause: </source>
        <translation>原因：</translation>
    </message>
    <message>
        <source>Evidence:</source>
        <translation>依据：</translation>
    </message>
    <message>
        <source>Decision steps:</source>
        <translation>判断步骤：</translation>
    </message>
    <message>
        <source>What to do:</source>
        <translation>处理：</translation>
    </message>
    <message>
        <source>Then the terminal signs on (签到) to prove the fix.</source>
        <translation>然后终端签到，验证修复结果。</translation>
    </message>
    <message>
        <source>Cannot be done now: </source>
        <translation>目前无法执行：</translation>
    </message>
    <message>
        <source>Text to send to %1:</source>
        <translation>发送给%1的内容：</translation>
    </message>
    <message>
        <source>Text to send:</source>
        <translation>上报内容：</translation>
    </message>
    <message>
        <source>Copy text</source>
        <translation>复制文本</translation>
    </message>
    <message>
        <source>Afterwards check: </source>
        <translation>完成后检查：</translation>
    </message>
    <message>
        <source>Do the manual steps first, then run this.</source>
        <translation>请先完成手动步骤，再执行此项。</translation>
    </message>
    <message>
        <source>Print test page...</source>
        <translation>打印测试页…</translation>
    </message>
    <message>
        <source>Sign on...</source>
        <translation>签到…</translation>
    </message>
    <message>
        <source>Settle...</source>
        <translation>结算…</translation>
    </message>
    <message>
        <source>Apply fix...</source>
        <translation>执行修复…</translation>
    </message>
    <message>
        <source>Asks first; nothing is written to the terminal</source>
        <translation>执行前先确认；不会写入终端</translation>
    </message>
    <message>
        <source>Shows exactly what will change before anything is written (F6: the first fix)</source>
        <translation>写入之前先列出将要修改的每一项（F6：执行第一项修复）</translation>
    </message>
    <message>
        <source>Repair: %1</source>
        <translation>修复：%1</translation>
    </message>
    <message>
        <source>For: %1</source>
        <translation>针对：%1</translation>
    </message>
    <message>
        <source>%1: %2</source>
        <translation>%1：%2</translation>
    </message>
    <message>
        <source>%1: %2 → %3 (read back %4)</source>
        <translation>%1：%2 → %3（回读 %4）</translation>
    </message>
    <message>
        <source>Sign-on (签到) afterwards: %1 from %2</source>
        <translation>修复后签到：%2 应答 %1</translation>
    </message>
    <message>
        <source>Backup: %1</source>
        <translation>备份：%1</translation>
    </message>
    <message>
        <source>Check</source>
        <translation>检查项</translation>
    </message>
    <message>
        <source>Before</source>
        <translation>修复前</translation>
    </message>
    <message>
        <source>After</source>
        <translation>修复后</translation>
    </message>
    <message>
        <source>passed</source>
        <translation>通过</translation>
    </message>
    <message>
        <source>warning</source>
        <translation>警告</translation>
    </message>
    <message>
        <source>failed</source>
        <translation>失败</translation>
    </message>
    <message>
        <source>skipped</source>
        <translation>跳过</translation>
    </message>
    <message>
        <source>error</source>
        <translation>错误</translation>
    </message>
</context>
<context>
    <name>GuideDialog</name>
    <message>
        <source>techapp guide</source>
        <translation>techapp 使用说明</translation>
    </message>
</context>
<context>
    <name>HistoryDialog</name>
    <message>
        <source>The visit history cannot be read: %1</source>
        <translation>无法读取到访记录：%1</translation>
    </message>
    <message>
        <source>No visit matches.</source>
        <translation>没有符合条件的到访记录。</translation>
    </message>
    <message>
        <source>No visit recorded yet.</source>
        <translation>尚无到访记录。</translation>
    </message>
    <message>
        <source>1 visit</source>
        <translation>1 次到访</translation>
    </message>
    <message>
        <source>%1 visits</source>
        <translation>%1 次到访</translation>
    </message>
    <message>
        <source> (training)</source>
        <translation>（培训）</translation>
    </message>
    <message>
        <source>Diagnosis</source>
        <translation>诊断</translation>
    </message>
    <message>
        <source>Repair</source>
        <translation>维修</translation>
    </message>
    <message>
        <source>Restore</source>
        <translation>恢复</translation>
    </message>
    <message>
        <source>Healthy</source>
        <translation>正常</translation>
    </message>
    <message>
        <source>Faults found</source>
        <translation>发现故障</translation>
    </message>
    <message>
        <source>Incomplete</source>
        <translation>不完整</translation>
    </message>
    <message>
        <source>Backup restored</source>
        <translation>已恢复备份</translation>
    </message>
    <message>
        <source>technician not set</source>
        <translation>未设置技术员</translation>
    </message>
    <message>
        <source>%1 · SN %2 · %3</source>
        <translation>%1 · 序列号 %2 · %3</translation>
    </message>
    <message>
        <source>Training: simulated terminal</source>
        <translation>培训：模拟终端</translation>
    </message>
    <message>
        <source>Restored from</source>
        <translation>恢复自</translation>
    </message>
    <message>
        <source>Backup before writing</source>
        <translation>写入前的备份</translation>
    </message>
    <message>
        <source>Pass</source>
        <translation>通过</translation>
    </message>
    <message>
        <source>Warning</source>
        <translation>警告</translation>
    </message>
    <message>
        <source>Fail</source>
        <translation>失败</translation>
    </message>
    <message>
        <source>Not run</source>
        <translation>未运行</translation>
    </message>
    <message>
        <source>Error</source>
        <translation>错误</translation>
    </message>
    <message>
        <source>Open</source>
        <translation>未解决</translation>
    </message>
    <message>
        <source>Fixed during the diagnosis</source>
        <translation>诊断过程中已修复</translation>
    </message>
    <message>
        <source>Repaired at this visit</source>
        <translation>本次到访已修复</translation>
    </message>
    <message>
        <source>Done</source>
        <translation>已完成</translation>
    </message>
    <message>
        <source>Failed</source>
        <translation>失败</translation>
    </message>
    <message>
        <source>Not confirmed</source>
        <translation>未确认</translation>
    </message>
    <message>
        <source>Blocked</source>
        <translation>受阻</translation>
    </message>
    <message>
        <source>Restored</source>
        <translation>已恢复</translation>
    </message>
    <message>
        <source>A restore has no service report.</source>
        <translation>恢复操作没有服务报告。</translation>
    </message>
    <message>
        <source>Report %1, fingerprint %2</source>
        <translation>报告 %1，指纹 %2</translation>
    </message>
    <message>
        <source>No report was made at this visit; one is made from its diagnosis.</source>
        <translation>本次到访未生成报告；将根据其诊断结果生成。</translation>
    </message>
    <message>
        <source>Save the report as PDF</source>
        <translation>将报告保存为 PDF</translation>
    </message>
    <message>
        <source>The report could not be saved: %1</source>
        <translation>无法保存报告：%1</translation>
    </message>
    <message>
        <source>Saved: %1</source>
        <translation>已保存：%1</translation>
    </message>
    <message>
        <source>The report could not be printed: %1</source>
        <translation>无法打印报告：%1</translation>
    </message>
    <message>
        <source>Sent to the printer.</source>
        <translation>已发送到打印机。</translation>
    </message>
    <message>
        <source>The report could not be made: %1</source>
        <translation>无法生成报告：%1</translation>
    </message>
    <message>
        <source>Visit history</source>
        <translation>到访记录</translation>
    </message>
    <message>
        <source>&amp;Search:</source>
        <translation>搜索(&amp;S)：</translation>
    </message>
    <message>
        <source>Any field</source>
        <translation>任意字段</translation>
    </message>
    <message>
        <source>Serial number</source>
        <translation>序列号</translation>
    </message>
    <message>
        <source>TID</source>
        <translation>终端号</translation>
    </message>
    <message>
        <source>MID</source>
        <translation>商户号</translation>
    </message>
    <message>
        <source>Merchant</source>
        <translation>商户</translation>
    </message>
    <message>
        <source>Work order</source>
        <translation>工单</translation>
    </message>
    <message>
        <source>serial number, TID, MID, merchant or work order</source>
        <translation>序列号、终端号、商户号、商户名称或工单号</translation>
    </message>
    <message>
        <source>From</source>
        <translation>从</translation>
    </message>
    <message>
        <source>To</source>
        <translation>至</translation>
    </message>
    <message>
        <source>Search</source>
        <translation>搜索</translation>
    </message>
    <message>
        <source>Date</source>
        <translation>日期</translation>
    </message>
    <message>
        <source>Kind</source>
        <translation>类型</translation>
    </message>
    <message>
        <source>Outcome</source>
        <translation>结果</translation>
    </message>
    <message>
        <source>Technician</source>
        <translation>技术员</translation>
    </message>
    <message>
        <source>Compared with the last visit</source>
        <translation>与上次到访相比</translation>
    </message>
    <message>
        <source>Result</source>
        <translation>结果</translation>
    </message>
    <message>
        <source>Check</source>
        <translation>检查项</translation>
    </message>
    <message>
        <source>Observed</source>
        <translation>观察到的情况</translation>
    </message>
    <message>
        <source>Finding</source>
        <translation>故障</translation>
    </message>
    <message>
        <source>State</source>
        <translation>状态</translation>
    </message>
    <message>
        <source>Cause</source>
        <translation>原因</translation>
    </message>
    <message>
        <source>Action</source>
        <translation>操作</translation>
    </message>
    <message>
        <source>Written</source>
        <translation>写入的值</translation>
    </message>
    <message>
        <source>Summary</source>
        <translation>概要</translation>
    </message>
    <message>
        <source>Checklist</source>
        <translation>检查清单</translation>
    </message>
    <message>
        <source>Findings</source>
        <translation>故障</translation>
    </message>
    <message>
        <source>Actions</source>
        <translation>操作</translation>
    </message>
    <message>
        <source>Report</source>
        <translation>报告</translation>
    </message>
    <message>
        <source>Report &amp;language:</source>
        <translation>报告语言(&amp;L)：</translation>
    </message>
    <message>
        <source>Save as &amp;PDF...</source>
        <translation>保存为 PDF(&amp;P)...</translation>
    </message>
    <message>
        <source>&amp;Print...</source>
        <translation>打印(&amp;P)...</translation>
    </message>
</context>
<context>
    <name>HistoryMenu</name>
    <message>
        <source>Visit &amp;history...</source>
        <translation>到访记录(&amp;H)...</translation>
    </message>
    <message>
        <source>This visit is not recorded in the visit history: %1</source>
        <translation>本次到访未能记入到访记录：%1</translation>
    </message>
</context>
<context>
    <name>LogsView</name>
    <message>
        <source>Response code</source>
        <translation>应答码</translation>
    </message>
    <message>
        <source>Error</source>
        <translation>错误</translation>
    </message>
    <message>
        <source>%1  %2 %3: %4</source>
        <translation>%1  %2 %3：%4</translation>
    </message>
    <message>
        <source>Connect to a terminal: its response-code log and error log are read then.</source>
        <translation>请连接终端：连接时会读取其应答码记录和错误日志。</translation>
    </message>
    <message>
        <source>The logs could not be read (see the Terminal tab); connect again to read them.</source>
        <translation>未能读取日志（见“终端”标签页）；请重新连接以读取。</translation>
    </message>
    <message>
        <source>Both logs are empty.</source>
        <translation>两份日志均为空。</translation>
    </message>
    <message>
        <source>No acquirer profile chosen: a response code means what the acquirer says. Choose the acquirer profile (left) to see each code explained.</source>
        <translation>未选择收单行配置：应答码的含义以收单行的规定为准。请在左侧选择收单行配置，以查看每个应答码的说明。</translation>
    </message>
    <message>
        <source>Response codes explained by the acquirer profile %1.</source>
        <translation>应答码按收单行配置“%1”说明。</translation>
    </message>
    <message>
        <source>Filte&amp;r:</source>
        <translation>筛选(&amp;R)：</translation>
    </message>
    <message>
        <source>code, text or date, e.g. 97</source>
        <translation>应答码、文字或日期，如 97</translation>
    </message>
    <message>
        <source>Both logs</source>
        <translation>全部日志</translation>
    </message>
    <message>
        <source>Response codes</source>
        <translation>应答码</translation>
    </message>
    <message>
        <source>Errors</source>
        <translation>错误</translation>
    </message>
    <message>
        <source>Copy</source>
        <translation>复制</translation>
    </message>
    <message>
        <source>Copy the selected rows, or every shown row (Ctrl+C)</source>
        <translation>复制选中的行；未选中时复制显示的全部行（Ctrl+C）</translation>
    </message>
    <message>
        <source>Time</source>
        <translation>时间</translation>
    </message>
    <message>
        <source>Log</source>
        <translation>日志</translation>
    </message>
    <message>
        <source>Code</source>
        <translation>代码</translation>
    </message>
    <message>
        <source>Terminal&apos;s text</source>
        <translation>终端显示</translation>
    </message>
    <message>
        <source>Meaning and action</source>
        <translation>含义与处理</translation>
    </message>
</context>
<context>
    <name>MainWindow</name>
    <message>
        <source>The work order is not valid: %1</source>
        <translation>工单无效：%1</translation>
    </message>
    <message>
        <source>Cancelling: the step that is running finishes first...</source>
        <translation>正在取消：当前步骤完成后停止…</translation>
    </message>
    <message>
        <source>Could not connect: %1</source>
        <translation>无法连接：%1</translation>
    </message>
    <message>
        <source>The link to the terminal (SN %1) was lost: check the cable. The values shown are the last ones read.</source>
        <translation>与终端（序列号 %1）的连接已断开：请检查数据线。界面上显示的是最后一次读到的值。</translation>
    </message>
    <message>
        <source>Reconnect (same terminal)</source>
        <translation>重新连接（同一台终端）</translation>
    </message>
    <message>
        <source>Connecting and reading the terminal...</source>
        <translation>正在连接并读取终端…</translation>
    </message>
    <message>
        <source>Repairing: backup, write, read back, then the affected checks run again...</source>
        <translation>正在修复：备份、写入、回读，然后重新运行相关检查…</translation>
    </message>
    <message>
        <source>Working...</source>
        <translation>正在处理…</translation>
    </message>
    <message>
        <source>Not confirmed: nothing was written to the terminal.</source>
        <translation>未确认：没有向终端写入任何内容。</translation>
    </message>
    <message>
        <source>Diagnosis cancelled.</source>
        <translation>诊断已取消。</translation>
    </message>
    <message>
        <source>The repair did not complete: its card in the findings says why.</source>
        <translation>修复未完成：原因见问题列表中的修复卡片。</translation>
    </message>
    <message>
        <source>Repair done and checked again: no findings left.</source>
        <translation>修复完成并已重新检查：已无问题。</translation>
    </message>
    <message>
        <source>Diagnosis incomplete: the link to the terminal was lost.</source>
        <translation>诊断未完成：与终端的连接已断开。</translation>
    </message>
    <message>
        <source>Diagnosis incomplete: %1</source>
        <translation>诊断未完成：%1</translation>
    </message>
    <message>
        <source>Diagnosis finished: no findings.</source>
        <translation>诊断完成：未发现问题。</translation>
    </message>
    <message>
        <source>Ready: press Diagnose (F5).</source>
        <translation>就绪：请按“诊断”（F5）。</translation>
    </message>
    <message>
        <source>%1/%2  %3</source>
        <translation>%1/%2  %3</translation>
    </message>
    <message>
        <source>Test skipped: the terminal stops waiting, the diagnosis goes on...</source>
        <translation>已跳过该测试：终端停止等待，诊断继续…</translation>
    </message>
    <message>
        <source>Nothing answered at %1 baud; the terminal answered at %2 baud (now used).</source>
        <translation>%1 波特率下无应答；终端在 %2 波特率下应答（已改用该速率）。</translation>
    </message>
    <message>
        <source>Another terminal (SN %2) is on this port; this session belongs to SN %1. Not connected: use Connect to start a session with the other terminal.</source>
        <translation>此端口上是另一台终端（序列号 %2）；当前会话属于序列号 %1 的终端。未连接：如需连接另一台终端，请使用“连接”。</translation>
    </message>
    <message>
        <source>The terminal or the laptop reported: %1</source>
        <translation>终端或笔记本报告：%1</translation>
    </message>
    <message>
        <source>%1 %2 SN %3</source>
        <translation>%1 %2 序列号 %3</translation>
    </message>
    <message>
        <source>Not connected</source>
        <translation>未连接</translation>
    </message>
    <message>
        <source>Connecting to %1...</source>
        <translation>正在连接 %1…</translation>
    </message>
    <message>
        <source>Connected: %1 on %2</source>
        <translation>已连接：%1（%2）</translation>
    </message>
    <message>
        <source>Link lost: %1 on %2</source>
        <translation>连接已断开：%1（%2）</translation>
    </message>
    <message>
        <source>Not connected (last attempt failed)</source>
        <translation>未连接（上次连接失败）</translation>
    </message>
    <message>
        <source>techapp - POS terminal diagnosis</source>
        <translation>techapp - POS 终端诊断</translation>
    </message>
    <message>
        <source>Diagnosis</source>
        <translation>诊断</translation>
    </message>
    <message>
        <source>&amp;Acquirer profile:</source>
        <translation>收单行配置(&amp;A)：</translation>
    </message>
    <message>
        <source>(from the work order)</source>
        <translation>（按工单）</translation>
    </message>
    <message>
        <source>Reconnect failed (attempt %1 at %2): %3. Check the cable and try again.</source>
        <translation>重新连接失败（第 %1 次，%2）：%3。请检查连接线后重试。</translation>
    </message>
    <message>
        <source>the terminal did not answer</source>
        <translation>终端无应答</translation>
    </message>
    <message>
        <source>Maintenance mode is locked after too many wrong passwords: try again in %1 s.</source>
        <translation>密码错误次数过多，维护模式已锁定：请在 %1 秒后重试。</translation>
    </message>
    <message>
        <source>Maintenance mode is locked after too many wrong passwords: try again later.</source>
        <translation>密码错误次数过多，维护模式已锁定：请稍后重试。</translation>
    </message>
    <message>
        <source>The terminal refused the maintenance password.</source>
        <translation>终端拒绝了维护密码。</translation>
    </message>
    <message>
        <source>The terminal refused the maintenance password: 1 try left before it locks.</source>
        <translation>终端拒绝了维护密码：再错 1 次将锁定。</translation>
    </message>
    <message>
        <source>The terminal refused the maintenance password: %1 tries left before it locks.</source>
        <translation>终端拒绝了维护密码：还剩 %1 次机会，之后将锁定。</translation>
    </message>
    <message>
        <source>The terminal answers, but reading and diagnosing it needs the maintenance password.</source>
        <translation>终端有应答，但读取和诊断需要维护密码。</translation>
    </message>
    <message>
        <source>Not connected. %1</source>
        <translation>未连接。%1</translation>
    </message>
    <message>
        <source>Maintenance password:</source>
        <translation>维护密码：</translation>
    </message>
    <message>
        <source>Maintenance password</source>
        <translation>维护密码</translation>
    </message>
    <message>
        <source>Connect</source>
        <translation>连接</translation>
    </message>
    <message>
        <source>Test page sent to the printer: check it is complete and legible.</source>
        <translation>测试页已发送到打印机：请检查是否完整清晰。</translation>
    </message>
    <message>
        <source>Repair done and checked again: 1 finding left.</source>
        <translation>修复完成并已复查：还剩 1 个问题。</translation>
    </message>
    <message>
        <source>Repair done and checked again: %1 findings left.</source>
        <translation>修复完成并已复查：还剩 %1 个问题。</translation>
    </message>
    <message>
        <source>Diagnosis finished: 1 finding.</source>
        <translation>诊断完成：发现 1 个问题。</translation>
    </message>
    <message>
        <source>Diagnosis finished: %1 findings.</source>
        <translation>诊断完成：发现 %1 个问题。</translation>
    </message>
    <message>
        <source>%1 (the terminal says: “%2”)</source>
        <translation>%1（终端显示：“%2”）</translation>
    </message>
    <message>
        <source>%1, %2 s of %3 s</source>
        <translation>%1，已用 %2 秒 / 共 %3 秒</translation>
    </message>
    <message>
        <source>Disconnected after %1 min without use: the terminal&apos;s maintenance login was closed. Connect again to continue.</source>
        <translation>已闲置 %1 分钟，连接已断开：终端的维护登录已关闭。请重新连接后继续。</translation>
    </message>
    <message>
        <source>From the work order: %1</source>
        <translation>按工单：%1</translation>
    </message>
    <message>
        <source>Training: a simulated terminal, not a real one. Results are not from a terminal on site.</source>
        <translation>培训模式：这是模拟终端，不是真实终端。结果并非来自现场终端。</translation>
    </message>
    <message>
        <source>%1 [Training: simulated terminal]</source>
        <translation>%1【培训：模拟终端】</translation>
    </message>
    <message>
        <source>Not connected: the terminal refused the maintenance login</source>
        <translation>未连接：终端拒绝了维护登录</translation>
    </message>
    <message>
        <source>(none)</source>
        <translation>（无）</translation>
    </message>
    <message>
        <source>Sign-on (签到) by the terminal</source>
        <translation>终端签到</translation>
    </message>
    <message>
        <source>The terminal signs on to its host and takes new working keys; proves the host accepts it</source>
        <translation>终端向主机签到并获取新的工作密钥；可证明主机是否接受该终端</translation>
    </message>
    <message>
        <source>Tests with a person (card swipe, keypad)</source>
        <translation>人工测试（刷卡、按键）</translation>
    </message>
    <message>
        <source>Laptop checks use the real network (on site)</source>
        <translation>笔记本检查使用真实网络（现场）</translation>
    </message>
    <message>
        <source>&amp;Diagnose (F5)</source>
        <translation>诊断(&amp;D)（F5）</translation>
    </message>
    <message>
        <source>Cancel (Esc)</source>
        <translation>取消（Esc）</translation>
    </message>
    <message>
        <source>Checklist and findings</source>
        <translation>检查清单与问题</translation>
    </message>
    <message>
        <source>Terminal</source>
        <translation>终端</translation>
    </message>
    <message>
        <source>Traffic log</source>
        <translation>通讯日志</translation>
    </message>
    <message>
        <source>&amp;File</source>
        <translation>文件(&amp;F)</translation>
    </message>
    <message>
        <source>&amp;Terminal</source>
        <translation>终端(&amp;T)</translation>
    </message>
    <message>
        <source>&amp;View</source>
        <translation>查看(&amp;V)</translation>
    </message>
    <message>
        <source>&amp;Language</source>
        <translation>语言(&amp;L)</translation>
    </message>
    <message>
        <source>&amp;Help</source>
        <translation>帮助(&amp;H)</translation>
    </message>
    <message>
        <source>&amp;Connect / disconnect</source>
        <translation>连接/断开(&amp;C)</translation>
    </message>
    <message>
        <source>&amp;Diagnose</source>
        <translation>诊断(&amp;D)</translation>
    </message>
    <message>
        <source>Apply the &amp;first fix...</source>
        <translation>执行第一项修复(&amp;F)…</translation>
    </message>
    <message>
        <source>C&amp;ancel</source>
        <translation>取消(&amp;A)</translation>
    </message>
    <message>
        <source>&amp;Reconnect to the same terminal</source>
        <translation>重新连接同一台终端(&amp;R)</translation>
    </message>
    <message>
        <source>&amp;Import work order...</source>
        <translation>导入工单(&amp;I)…</translation>
    </message>
    <message>
        <source>&amp;Quit</source>
        <translation>退出(&amp;Q)</translation>
    </message>
    <message>
        <source>&amp;About techapp</source>
        <translation>关于 techapp(&amp;A)</translation>
    </message>
    <message>
        <source>A repair is running</source>
        <translation>正在修复</translation>
    </message>
    <message>
        <source>A repair is writing to the terminal. Closing now stops it part-way: the new values may be left unchecked on the terminal (the backup file is kept). Wait for it to finish?</source>
        <translation>正在向终端写入修复内容。现在关闭会使修复中途停止：终端上的新参数可能未经回读核对（备份文件会保留）。是否等待修复完成？</translation>
    </message>
    <message>
        <source>&amp;Wait</source>
        <translation>等待(&amp;W)</translation>
    </message>
    <message>
        <source>&amp;Close anyway</source>
        <translation>仍然关闭(&amp;C)</translation>
    </message>
</context>
<context>
    <name>PromptPanel</name>
    <message>
        <source>%1 s</source>
        <translation>%1 秒</translation>
    </message>
    <message>
        <source>Waiting for the terminal: %1</source>
        <translation>等待终端：%1</translation>
    </message>
    <message>
        <source>&amp;Ready, start test</source>
        <translation>准备好了，开始测试(&amp;R)</translation>
    </message>
    <message>
        <source>S&amp;kip</source>
        <translation>跳过(&amp;K)</translation>
    </message>
    <message>
        <source>Stops the test on the terminal now; the check is marked skipped</source>
        <translation>立即停止终端上的测试；该检查记为跳过</translation>
    </message>
    <message>
        <source>Do not run this test; the check is marked skipped</source>
        <translation>不做此项测试；该检查记为跳过</translation>
    </message>
</context>
<context>
    <name>RepairDialog</name>
    <message>
        <source>Print a test page</source>
        <extracomment>Operations that change what the terminal holds (parameters, clock, working keys); the others (a test page) only make the terminal do something and are neither worded as writes nor called repairs.</extracomment>
        <translation>打印测试页</translation>
    </message>
    <message>
        <source>Confirm sign-on</source>
        <translation>确认签到</translation>
    </message>
    <message>
        <source>Confirm settlement</source>
        <translation>确认结算</translation>
    </message>
    <message>
        <source>Confirm repair</source>
        <translation>确认修复</translation>
    </message>
    <message>
        <source>This sets the terminal&apos;s clock. Check the times before you apply it.</source>
        <translation>此操作会设置终端时钟。请先核对时间再执行。</translation>
    </message>
    <message>
        <source>The terminal signs on (签到) to its host and receives new working keys; no parameter is changed.</source>
        <translation>终端向主机签到并获取新的工作密钥；不修改任何参数。</translation>
    </message>
    <message>
        <source>The terminal prints a test page. Nothing is written to the terminal.</source>
        <translation>终端打印一张测试页。不会写入终端。</translation>
    </message>
    <message>
        <source>The terminal settles its batch (结算) with its host: the day&apos;s unsettled sales go to the acquirer for payment and the batch is closed. No parameter is changed; it cannot be undone.</source>
        <translation>终端与主机结算当前批次：当天未结算的交易上送收单机构清算，批次随即关闭。不改任何参数；结算后无法撤销。</translation>
    </message>
    <message>
        <source>This writes to the terminal. Check the change before you apply it.</source>
        <translation>此操作会写入终端。请先核对修改内容再执行。</translation>
    </message>
    <message>
        <source>Finding: %1</source>
        <translation>问题：%1</translation>
    </message>
    <message>
        <source>Parameter</source>
        <translation>参数</translation>
    </message>
    <message>
        <source>Now on the terminal</source>
        <translation>终端当前值</translation>
    </message>
    <message>
        <source>After</source>
        <translation>修复后</translation>
    </message>
    <message>
        <source>Clock</source>
        <translation>时钟</translation>
    </message>
    <message>
        <source>Unsettled transactions</source>
        <translation>未结算笔数</translation>
    </message>
    <message>
        <source>Name on the terminal: %1</source>
        <translation>终端上的参数名：%1</translation>
    </message>
    <message>
        <source>could not be read</source>
        <translation>无法读取</translation>
    </message>
    <message>
        <source>The laptop&apos;s time at the moment you press Apply is copied to the terminal.</source>
        <translation>按下“执行”时笔记本的时间将写入终端。</translation>
    </message>
    <message>
        <source>The current parameters are saved to a backup file first; after writing, the values are read back and the backup is restored if they differ.</source>
        <translation>先把当前参数保存为备份文件；写入后回读核对，如不一致则恢复备份。</translation>
    </message>
    <message>
        <source>Then the terminal signs on (签到) to prove the fix; the host gives it new working keys.</source>
        <translation>然后终端签到以验证修复；主机会下发新的工作密钥。</translation>
    </message>
    <message>
        <source>&amp;Print</source>
        <translation>打印(&amp;P)</translation>
    </message>
    <message>
        <source>&amp;Sign on</source>
        <translation>签到(&amp;S)</translation>
    </message>
    <message>
        <source>&amp;Settle</source>
        <translation>结算(&amp;S)</translation>
    </message>
    <message>
        <source>&amp;Apply</source>
        <translation>执行(&amp;A)</translation>
    </message>
    <message>
        <source>The laptop&apos;s clock is synchronised over the network (NTP).</source>
        <translation>笔记本时钟已通过网络（NTP）同步。</translation>
    </message>
    <message>
        <source>The laptop&apos;s clock is not synchronised over the network: check its time first.</source>
        <translation>笔记本时钟未通过网络同步：请先核对其时间。</translation>
    </message>
    <message>
        <source>Whether the laptop&apos;s clock is synchronised over the network is unknown: check its time first.</source>
        <translation>无法得知笔记本时钟是否通过网络同步：请先核对其时间。</translation>
    </message>
</context>
<context>
    <name>ReportDialog</name>
    <message>
        <source>Report language:</source>
        <translation>报告语言：</translation>
    </message>
    <message>
        <source>Paper:</source>
        <translation>纸张：</translation>
    </message>
    <message>
        <source>Technician name:</source>
        <translation>技术员姓名：</translation>
    </message>
    <message>
        <source>Technician id:</source>
        <translation>技术员编号：</translation>
    </message>
    <message>
        <source>&amp;Save PDF...</source>
        <translation>保存 PDF(&amp;S)...</translation>
    </message>
    <message>
        <source>Print pre&amp;view...</source>
        <translation>打印预览(&amp;V)...</translation>
    </message>
    <message>
        <source>&amp;Print...</source>
        <translation>打印(&amp;P)...</translation>
    </message>
    <message>
        <source>Service report</source>
        <translation>维修服务报告</translation>
    </message>
    <message>
        <source>The report is not signed: %1</source>
        <translation>报告未签名：%1</translation>
    </message>
    <message>
        <source> (training: simulated terminal)</source>
        <translation>（培训：模拟终端）</translation>
    </message>
    <message>
        <source>Report %1: %2%3
Fingerprint (SHA-256): %4</source>
        <translation>报告 %1：%2%3
指纹（SHA-256）：%4</translation>
    </message>
    <message>
        <source>Save the report</source>
        <translation>保存报告</translation>
    </message>
    <message>
        <source>The report was not saved: %1</source>
        <translation>报告未保存：%1</translation>
    </message>
    <message>
        <source>Saved: %1</source>
        <translation>已保存：%1</translation>
    </message>
</context>
<context>
    <name>ReportHooks</name>
    <message>
        <source>&amp;Report...</source>
        <translation>服务报告(&amp;R)...</translation>
    </message>
    <message>
        <source>The service report: PDF, print preview, print (Ctrl+P)</source>
        <translation>维修服务报告：PDF、打印预览、打印（Ctrl+P）</translation>
    </message>
</context>
<context>
    <name>ResponseCodesDialog</name>
    <message>
        <source>Response codes</source>
        <translation>应答码说明</translation>
    </message>
    <message>
        <source>&amp;Acquirer profile:</source>
        <translation>收单行配置(&amp;A)：</translation>
    </message>
    <message>
        <source>%1 %2. What to do: %3</source>
        <translation>%1 %2。处理办法：%3</translation>
    </message>
    <message>
        <source>Filte&amp;r:</source>
        <translation>筛选(&amp;R)：</translation>
    </message>
    <message>
        <source>code or words, e.g. 97</source>
        <translation>应答码或文字，如 97</translation>
    </message>
    <message>
        <source>No acquirer profile could be read.</source>
        <translation>无法读取任何收单行配置。</translation>
    </message>
    <message>
        <source>What each response code (field 39) means for %1. The same code can mean something else at another acquirer: judge a code by this table, not by the terminal&apos;s display text.</source>
        <translation>%1规定的各应答码（39 域）的含义。同一应答码在其他收单行可能含义不同：请以本表判断，不要以终端显示的文字判断。</translation>
    </message>
    <message>
        <source>Code</source>
        <translation>应答码</translation>
    </message>
    <message>
        <source>Terminal shows</source>
        <translation>终端显示</translation>
    </message>
    <message>
        <source>Meaning</source>
        <translation>含义</translation>
    </message>
    <message>
        <source>Class</source>
        <translation>类别</translation>
    </message>
    <message>
        <source>Points at</source>
        <translation>指向</translation>
    </message>
    <message>
        <source>What to do</source>
        <translation>处理办法</translation>
    </message>
</context>
<context>
    <name>RestoreDialog</name>
    <message>
        <source>yes</source>
        <extracomment>Job names on the session (``TerminalSession.run_job``).</extracomment>
        <translation>是</translation>
    </message>
    <message>
        <source>no</source>
        <translation>否</translation>
    </message>
    <message>
        <source>(blank)</source>
        <translation>（空）</translation>
    </message>
    <message>
        <source>Saved before a restore</source>
        <translation>恢复前保存</translation>
    </message>
    <message>
        <source>Saved before a repair</source>
        <translation>修复前保存</translation>
    </message>
    <message>
        <source>(read the terminal to compare)</source>
        <translation>（读取终端后才能比较）</translation>
    </message>
    <message>
        <source>Reading the terminal&apos;s parameters...</source>
        <translation>正在读取终端参数…</translation>
    </message>
    <message>
        <source>Nothing was written: %1</source>
        <translation>未写入任何内容：%1</translation>
    </message>
    <message>
        <source>The restore did not complete: %1</source>
        <translation>恢复未完成：%1</translation>
    </message>
    <message>
        <source>Restored and read back: %1.</source>
        <translation>已恢复并回读核对：%1。</translation>
    </message>
    <message>
        <source>The values before are saved in the backup %1.</source>
        <translation>恢复前的参数已保存在备份 %1 中。</translation>
    </message>
    <message>
        <source>Nothing written: the terminal already holds the values of this backup.</source>
        <translation>未写入：终端上已是该备份中的参数。</translation>
    </message>
    <message>
        <source>Restoring: backup, write, read back...</source>
        <translation>正在恢复：备份、写入、回读…</translation>
    </message>
    <message>
        <source>Not confirmed: nothing was written to the terminal.</source>
        <translation>未确认：没有向终端写入任何内容。</translation>
    </message>
    <message>
        <source>Restore a backup</source>
        <translation>恢复备份</translation>
    </message>
    <message>
        <source>Connect to a terminal to list its backups.</source>
        <translation>请先连接终端，才能列出其备份。</translation>
    </message>
    <message>
        <source>Parameter backups of the terminal SN %1 (saved before every repair and restore), newest first.</source>
        <translation>序列号 %1 的终端的参数备份（每次修复和恢复前自动保存），最新的在前。</translation>
    </message>
    <message>
        <source>Saved</source>
        <translation>保存时间</translation>
    </message>
    <message>
        <source>Nothing: the values last read are these</source>
        <translation>无：最近一次读到的参数就是这些</translation>
    </message>
    <message>
        <source>No backups of this terminal yet: techapp saves one before every repair and every restore.</source>
        <translation>该终端还没有备份：techapp 在每次修复和恢复前都会自动保存一份。</translation>
    </message>
    <message>
        <source>Why</source>
        <translation>原因</translation>
    </message>
    <message>
        <source>A restore would change</source>
        <translation>恢复时将修改</translation>
    </message>
    <message>
        <source>&amp;Restore...</source>
        <translation>恢复(&amp;R)…</translation>
    </message>
    <message>
        <source>Close</source>
        <translation>关闭</translation>
    </message>
</context>
<context>
    <name>ShortcutsDialog</name>
    <message>
        <source>Copy the selected rows (checklist, Terminal, Logs)</source>
        <translation>复制选中的行（检查清单、终端、日志）</translation>
    </message>
    <message>
        <source>Answer or skip a prompt, move between fields</source>
        <translation>回答或跳过提示，在各栏之间移动</translation>
    </message>
    <message>
        <source>Tab, Space</source>
        <translation>Tab、空格</translation>
    </message>
    <message>
        <source>Keyboard shortcuts</source>
        <translation>快捷键</translation>
    </message>
    <message>
        <source>What</source>
        <translation>功能</translation>
    </message>
    <message>
        <source>Key</source>
        <translation>按键</translation>
    </message>
</context>
<context>
    <name>TerminalView</name>
    <message>
        <source>ok</source>
        <translation>正常</translation>
    </message>
    <message>
        <source>fault</source>
        <translation>故障</translation>
    </message>
    <message>
        <source>absent</source>
        <translation>未安装</translation>
    </message>
    <message>
        <source>low</source>
        <translation>将尽</translation>
    </message>
    <message>
        <source>out</source>
        <translation>缺纸</translation>
    </message>
    <message>
        <source>open</source>
        <translation>打开</translation>
    </message>
    <message>
        <source>closed</source>
        <translation>关闭</translation>
    </message>
    <message>
        <source>normal</source>
        <translation>正常</translation>
    </message>
    <message>
        <source>test</source>
        <translation>测试</translation>
    </message>
    <message>
        <source>tampered</source>
        <translation>已触发</translation>
    </message>
    <message>
        <source>ethernet</source>
        <translation>以太网</translation>
    </message>
    <message>
        <source>Wi-Fi</source>
        <translation>Wi-Fi</translation>
    </message>
    <message>
        <source>cellular</source>
        <translation>无线（4G）</translation>
    </message>
    <message>
        <source>dial-up</source>
        <translation>拨号</translation>
    </message>
    <message>
        <source>yes</source>
        <translation>是</translation>
    </message>
    <message>
        <source>no</source>
        <translation>否</translation>
    </message>
    <message>
        <source>Identity</source>
        <translation>终端信息</translation>
    </message>
    <message>
        <source>Vendor / model</source>
        <translation>厂商/型号</translation>
    </message>
    <message>
        <source>Serial number</source>
        <translation>序列号</translation>
    </message>
    <message>
        <source>Hardware revision</source>
        <translation>硬件版本</translation>
    </message>
    <message>
        <source>Firmware</source>
        <translation>固件</translation>
    </message>
    <message>
        <source>Payment application</source>
        <translation>支付应用</translation>
    </message>
    <message>
        <source>EMV kernels</source>
        <translation>EMV 内核</translation>
    </message>
    <message>
        <source>(blank)</source>
        <translation>（空）</translation>
    </message>
    <message>
        <source>Payment parameters</source>
        <translation>终端参数</translation>
    </message>
    <message>
        <source>Terminal ID (TID)</source>
        <translation>终端号（TID）</translation>
    </message>
    <message>
        <source>Merchant ID (MID)</source>
        <translation>商户号（MID）</translation>
    </message>
    <message>
        <source>Merchant name</source>
        <translation>商户名称</translation>
    </message>
    <message>
        <source>Acquirer ID</source>
        <translation>收单机构代码</translation>
    </message>
    <message>
        <source>Primary host</source>
        <translation>主机地址</translation>
    </message>
    <message>
        <source>Backup host</source>
        <translation>备用主机</translation>
    </message>
    <message>
        <source>(none)</source>
        <translation>（无）</translation>
    </message>
    <message>
        <source>TLS</source>
        <translation>TLS</translation>
    </message>
    <message>
        <source>Primary host port</source>
        <translation>主机端口</translation>
    </message>
    <message>
        <source>Backup host port</source>
        <translation>备用主机端口</translation>
    </message>
    <message>
        <source>TPDU</source>
        <translation>TPDU</translation>
    </message>
    <message>
        <source>Header status</source>
        <translation>报文头处理要求</translation>
    </message>
    <message>
        <source>Comm mode</source>
        <translation>通讯方式</translation>
    </message>
    <message>
        <source>APN</source>
        <translation>APN</translation>
    </message>
    <message>
        <source>Wi-Fi network (SSID)</source>
        <translation>Wi-Fi 网络（SSID）</translation>
    </message>
    <message>
        <source>Primary DNS</source>
        <translation>首选 DNS</translation>
    </message>
    <message>
        <source>Secondary DNS</source>
        <translation>备用 DNS</translation>
    </message>
    <message>
        <source>Connect timeout</source>
        <translation>连接超时</translation>
    </message>
    <message>
        <source>Response timeout</source>
        <translation>应答超时</translation>
    </message>
    <message>
        <source>STAN (trace number)</source>
        <translation>流水号（STAN）</translation>
    </message>
    <message>
        <source>Batch number</source>
        <translation>批次号</translation>
    </message>
    <message>
        <source> (APN %1)</source>
        <translation>（APN %1）</translation>
    </message>
    <message>
        <source> (Wi-Fi %1)</source>
        <translation>（Wi-Fi %1）</translation>
    </message>
    <message>
        <source>DNS</source>
        <translation>DNS</translation>
    </message>
    <message>
        <source>Timeouts</source>
        <translation>超时</translation>
    </message>
    <message>
        <source>connect %1 s, response %2 s</source>
        <translation>连接 %1 秒，应答 %2 秒</translation>
    </message>
    <message>
        <source>STAN / batch</source>
        <translation>流水号/批次号</translation>
    </message>
    <message>
        <source>Key scheme</source>
        <translation>密钥体系</translation>
    </message>
    <message>
        <source>Master key (TMK)</source>
        <translation>主密钥（TMK）</translation>
    </message>
    <message>
        <source>none loaded</source>
        <translation>未灌装</translation>
    </message>
    <message>
        <source> (active)</source>
        <translation>（当前使用）</translation>
    </message>
    <message>
        <source>TMK slot %1</source>
        <translation>主密钥 %1 号位</translation>
    </message>
    <message>
        <source>%1-bit, check value %2</source>
        <translation>%1 位，校验值 %2</translation>
    </message>
    <message>
        <source>Working key %1</source>
        <translation>工作密钥 %1</translation>
    </message>
    <message>
        <source>check value %1, loaded %2</source>
        <translation>校验值 %1，装载于 %2</translation>
    </message>
    <message>
        <source>Working keys</source>
        <translation>工作密钥</translation>
    </message>
    <message>
        <source>none</source>
        <translation>无</translation>
    </message>
    <message>
        <source>DUKPT KSN</source>
        <translation>DUKPT KSN</translation>
    </message>
    <message>
        <source>Last sign-on</source>
        <translation>上次签到</translation>
    </message>
    <message>
        <source>Keys (check values only)</source>
        <translation>密钥（仅校验值）</translation>
    </message>
    <message>
        <source>%1%, health %2%, %3 cycles</source>
        <translation>电量 %1%，健康度 %2%，循环 %3 次</translation>
    </message>
    <message>
        <source>no battery</source>
        <translation>无电池</translation>
    </message>
    <message>
        <source>Hardware</source>
        <translation>硬件</translation>
    </message>
    <message>
        <source>Printer</source>
        <translation>打印机</translation>
    </message>
    <message>
        <source>%1, paper %2, cover %3</source>
        <translation>%1，纸 %2，仓盖 %3</translation>
    </message>
    <message>
        <source>Magstripe reader</source>
        <translation>磁条读卡器</translation>
    </message>
    <message>
        <source>IC (chip) reader</source>
        <translation>IC 卡读卡器</translation>
    </message>
    <message>
        <source>Contactless reader</source>
        <translation>非接读卡器</translation>
    </message>
    <message>
        <source>Keypad</source>
        <translation>键盘</translation>
    </message>
    <message>
        <source>Display</source>
        <translation>显示屏</translation>
    </message>
    <message>
        <source>Battery</source>
        <translation>电池</translation>
    </message>
    <message>
        <source>Storage</source>
        <translation>存储空间</translation>
    </message>
    <message>
        <source>%1 of %2 KB free</source>
        <translation>可用 %1 KB，共 %2 KB</translation>
    </message>
    <message>
        <source>Tamper</source>
        <translation>防拆状态</translation>
    </message>
    <message>
        <source>Clock</source>
        <translation>时钟</translation>
    </message>
    <message>
        <source>not set</source>
        <translation>未设置</translation>
    </message>
    <message>
        <source>Counters</source>
        <translation>交易计数</translation>
    </message>
    <message>
        <source>Unsettled transactions</source>
        <translation>未结算交易</translation>
    </message>
    <message>
        <source>Pending reversal</source>
        <translation>待冲正</translation>
    </message>
    <message>
        <source>Transaction log</source>
        <translation>交易流水</translation>
    </message>
    <message>
        <source>%1 of %2</source>
        <translation>%1 / %2</translation>
    </message>
    <message>
        <source>Last response code</source>
        <translation>最近应答码</translation>
    </message>
    <message>
        <source>Not read</source>
        <translation>未读取</translation>
    </message>
    <message>
        <source>Protocol greeting</source>
        <translation>协议握手</translation>
    </message>
    <message>
        <source>Login</source>
        <translation>登录</translation>
    </message>
    <message>
        <source>Response code log</source>
        <translation>应答码记录</translation>
    </message>
    <message>
        <source>Error log</source>
        <translation>错误日志</translation>
    </message>
    <message>
        <source>Logout</source>
        <translation>退出登录</translation>
    </message>
    <message>
        <source>Judged with: %1</source>
        <translation>判断依据：%1</translation>
    </message>
    <message>
        <source>Item</source>
        <translation>项目</translation>
    </message>
    <message>
        <source>Value</source>
        <translation>值</translation>
    </message>
    <message>
        <source>Note</source>
        <translation>说明</translation>
    </message>
</context>
<context>
    <name>Tools</name>
    <message>
        <source>techapp %1, %2</source>
        <translation>techapp %1，%2</translation>
    </message>
    <message>
        <source>What the terminal told:</source>
        <translation>终端报告的信息：</translation>
    </message>
    <message>
        <source>Terminal logs:</source>
        <translation>终端日志：</translation>
    </message>
    <message>
        <source>Copied for a ticket: the result, the values and the logs.</source>
        <translation>已复制用于工单：诊断结果、终端参数和日志。</translation>
    </message>
    <message>
        <source>Logs</source>
        <translation>日志</translation>
    </message>
    <message>
        <source>&amp;Edit</source>
        <translation>编辑(&amp;E)</translation>
    </message>
    <message>
        <source>Copy &amp;all for a ticket</source>
        <translation>全部复制（用于工单）(&amp;A)</translation>
    </message>
    <message>
        <source>Restore a &amp;backup...</source>
        <translation>恢复备份(&amp;B)…</translation>
    </message>
    <message>
        <source>&amp;Save the traffic log...</source>
        <translation>保存通讯日志(&amp;S)…</translation>
    </message>
    <message>
        <source>&amp;Guide</source>
        <translation>使用说明(&amp;G)</translation>
    </message>
    <message>
        <source>&amp;Response codes</source>
        <translation>应答码说明(&amp;R)</translation>
    </message>
    <message>
        <source>&amp;Keyboard shortcuts</source>
        <translation>快捷键(&amp;K)</translation>
    </message>
    <message>
        <source>No serial port found. Plug the terminal&apos;s data cable into the laptop, switch the terminal on and into maintenance mode; the port then appears here by itself. A charging-only cable shows no port, and some terminals need their own USB or RS-232 cable. To practise, tick the simulated terminal.</source>
        <translation>未找到串口。请用数据线把终端连接到笔记本电脑，打开终端并进入维护模式，端口随后会自动出现在这里。仅能充电的线不会出现端口；有些终端需要专用的 USB 或 RS-232 数据线。练习时请勾选模拟终端。</translation>
    </message>
</context>
<context>
    <name>TraceModel</name>
    <message>
        <source>→ tx</source>
        <translation>→ 发送</translation>
    </message>
    <message>
        <source>← rx</source>
        <translation>← 接收</translation>
    </message>
    <message>
        <source>→ host</source>
        <translation>→ 主机</translation>
    </message>
    <message>
        <source>terminal → host</source>
        <translation>终端 → 主机</translation>
    </message>
    <message>
        <source>host → terminal</source>
        <translation>主机 → 终端</translation>
    </message>
    <message>
        <source>← host</source>
        <translation>← 主机</translation>
    </message>
    <message>
        <source>laptop → %1: 0820 echo test</source>
        <translation>笔记本 → %1：0820 回响测试</translation>
    </message>
    <message>
        <source>%1 → laptop: 0830, response code %2</source>
        <translation>%1 → 笔记本：0830，应答码 %2</translation>
    </message>
    <message>
        <source>terminal → %1: %2 (the terminal&apos;s own, as it reported it)</source>
        <translation>终端 → %1：%2（终端自身的报文，按终端上报）</translation>
    </message>
    <message>
        <source>%1 → terminal: %2, response code %3</source>
        <translation>%1 → 终端：%2，应答码 %3</translation>
    </message>
    <message>
        <source>•• masked ••</source>
        <translation>•• 已隐藏 ••</translation>
    </message>
    <message>
        <source>bytes outside any frame (line noise, wrong baud rate?)</source>
        <translation>帧外字节（线路干扰或波特率不对？）</translation>
    </message>
</context>
<context>
    <name>TrafficLog</name>
    <message>
        <source>Primary account number</source>
        <extracomment>Rows that hold an ISO 8583 message (decoded field by field).</extracomment>
        <translation>主账号</translation>
    </message>
    <message>
        <source>Processing code</source>
        <translation>交易处理码</translation>
    </message>
    <message>
        <source>Amount</source>
        <translation>交易金额</translation>
    </message>
    <message>
        <source>System trace audit number (STAN)</source>
        <translation>受卡方系统跟踪号（流水号）</translation>
    </message>
    <message>
        <source>Local time (hhmmss)</source>
        <translation>受卡方所在地时间（时分秒）</translation>
    </message>
    <message>
        <source>Local date (MMDD)</source>
        <translation>受卡方所在地日期（月日）</translation>
    </message>
    <message>
        <source>Acquiring institution code</source>
        <translation>受理机构标识码</translation>
    </message>
    <message>
        <source>Retrieval reference number</source>
        <translation>检索参考号</translation>
    </message>
    <message>
        <source>Response code</source>
        <translation>应答码</translation>
    </message>
    <message>
        <source>Terminal ID (TID)</source>
        <translation>终端号（TID）</translation>
    </message>
    <message>
        <source>Merchant ID (MID)</source>
        <translation>商户号（MID）</translation>
    </message>
    <message>
        <source>Additional data (settlement totals)</source>
        <translation>附加数据（结算总额）</translation>
    </message>
    <message>
        <source>Currency code</source>
        <translation>交易货币代码</translation>
    </message>
    <message>
        <source>Field 60 (type, batch, network management code)</source>
        <translation>60 域（交易类型码、批次号、网络管理信息码）</translation>
    </message>
    <message>
        <source>Field 62 (device data or working keys)</source>
        <translation>62 域（终端信息或工作密钥）</translation>
    </message>
    <message>
        <source>Field 63 (operator code)</source>
        <translation>63 域（操作员代码）</translation>
    </message>
    <message>
        <source>Message authentication code (MAC)</source>
        <translation>报文鉴别码（MAC）</translation>
    </message>
    <message>
        <source>Transport header</source>
        <translation>传输报文头（TPDU）</translation>
    </message>
    <message>
        <source>Message header</source>
        <translation>报文头</translation>
    </message>
    <message>
        <source>Message type</source>
        <translation>消息类型</translation>
    </message>
    <message>
        <source>%1 bytes (working keys, encrypted: not shown)</source>
        <translation>%1 字节（加密的工作密钥，不显示）</translation>
    </message>
    <message>
        <source>Not a complete ISO 8583 message: shown as hex only.</source>
        <translation>不是完整的 ISO 8583 报文：只显示十六进制。</translation>
    </message>
    <message>
        <source>Text files (*.txt)</source>
        <translation>文本文件 (*.txt)</translation>
    </message>
    <message>
        <source>ISO 8583 host traffic for Wireshark (*.pcap)</source>
        <translation>ISO 8583 主机报文，用于 Wireshark (*.pcap)</translation>
    </message>
    <message>
        <source>All files (*)</source>
        <translation>所有文件 (*)</translation>
    </message>
    <message>
        <source>Save the traffic log</source>
        <translation>保存通讯日志</translation>
    </message>
    <message>
        <source>The traffic log could not be saved in %1. Choose another folder.</source>
        <translation>无法将通讯日志保存到 %1。请选择其他文件夹。</translation>
    </message>
    <message>
        <source>Filte&amp;r:</source>
        <translation>筛选(&amp;R)：</translation>
    </message>
    <message>
        <source>text, hex or command, e.g. GET_PARAMETERS</source>
        <translation>文字、十六进制或命令，例如 GET_PARAMETERS</translation>
    </message>
    <message>
        <source>Both directions</source>
        <translation>双向</translation>
    </message>
    <message>
        <source>Sent (tx)</source>
        <translation>发送（tx）</translation>
    </message>
    <message>
        <source>Received (rx)</source>
        <translation>接收（rx）</translation>
    </message>
    <message>
        <source>Copy</source>
        <translation>复制</translation>
    </message>
    <message>
        <source>Copy the selected rows, or every shown row</source>
        <translation>复制选中的行；未选中时复制显示的所有行</translation>
    </message>
    <message>
        <source>Save...</source>
        <translation>保存…</translation>
    </message>
    <message>
        <source>Save every row as a text file, ISO 8583 messages decoded</source>
        <translation>将全部行保存为文本文件，ISO 8583 报文逐域解码</translation>
    </message>
    <message>
        <source>Clear</source>
        <translation>清空</translation>
    </message>
    <message>
        <source>Time</source>
        <translation>时间</translation>
    </message>
    <message>
        <source>Dir.</source>
        <translation>方向</translation>
    </message>
    <message>
        <source>Hex</source>
        <translation>十六进制</translation>
    </message>
    <message>
        <source>Decoded</source>
        <translation>解码</translation>
    </message>
</context>
<context>
    <name>Values</name>
    <message>
        <source>yes</source>
        <translation>是</translation>
    </message>
    <message>
        <source>no</source>
        <translation>否</translation>
    </message>
</context>
<context>
    <name>WorkOrderPanel</name>
    <message>
        <source>Several work orders</source>
        <extracomment>Fields not shown in the form: the acquirer profile is chosen once, in the Diagnosis box (its &quot;from the work order&quot; entry names the work order&apos;s profile).</extracomment>
        <translation>多个工单</translation>
    </message>
    <message>
        <source>This file lists several jobs. Which one?</source>
        <translation>此文件包含多个工单，请选择一个：</translation>
    </message>
    <message>
        <source>Import work order</source>
        <translation>导入工单</translation>
    </message>
    <message>
        <source>Work orders (*.toml *.json *.csv);;All files (*)</source>
        <translation>工单文件 (*.toml *.json *.csv);;所有文件 (*)</translation>
    </message>
    <message>
        <source>work order</source>
        <translation>工单</translation>
    </message>
    <message>
        <source>%1 is required.</source>
        <translation>必须填写%1。</translation>
    </message>
    <message>
        <source>%1 must be 8 letters or digits.</source>
        <translation>%1必须为 8 位字母或数字。</translation>
    </message>
    <message>
        <source>%1 must be 15 digits.</source>
        <translation>%1必须为 15 位数字。</translation>
    </message>
    <message>
        <source>%1 must be 6 or 8 hex digits (the key sheet&apos;s check value).</source>
        <translation>%1必须为 6 或 8 位十六进制数（密钥单上的校验值）。</translation>
    </message>
    <message>
        <source>%1 must be a key index from 0 to 99.</source>
        <translation>%1必须为 0 到 99 的密钥索引。</translation>
    </message>
    <message>
        <source>%1 must be text.</source>
        <translation>%1必须为文字。</translation>
    </message>
    <message>
        <source>TID %1</source>
        <translation>终端号 %1</translation>
    </message>
    <message>
        <source>No work order: checks that need one say so.</source>
        <translation>无工单：需要工单的检查会注明。</translation>
    </message>
    <message>
        <source>Work order %1 is valid.</source>
        <translation>工单 %1 有效。</translation>
    </message>
    <message>
        <source>Done</source>
        <translation>完成</translation>
    </message>
    <message>
        <source>Edit</source>
        <translation>编辑</translation>
    </message>
    <message>
        <source>Type or correct the work order</source>
        <translation>输入或修改工单</translation>
    </message>
    <message>
        <source>Work order</source>
        <translation>工单</translation>
    </message>
    <message>
        <source>Order no.:</source>
        <translation>工单号：</translation>
    </message>
    <message>
        <source>Merchant:</source>
        <translation>商户：</translation>
    </message>
    <message>
        <source>Site:</source>
        <translation>地址：</translation>
    </message>
    <message>
        <source>MID:</source>
        <translation>商户号：</translation>
    </message>
    <message>
        <source>TID:</source>
        <translation>终端号：</translation>
    </message>
    <message>
        <source>Serial no.:</source>
        <translation>序列号：</translation>
    </message>
    <message>
        <source>Acquirer profile:</source>
        <translation>收单行配置：</translation>
    </message>
    <message>
        <source>TMK index:</source>
        <translation>主密钥索引：</translation>
    </message>
    <message>
        <source>check value:</source>
        <translation>校验值：</translation>
    </message>
    <message>
        <source>Complaint:</source>
        <translation>故障描述：</translation>
    </message>
    <message>
        <source>6 or 8 hex digits</source>
        <translation>6 或 8 位十六进制</translation>
    </message>
    <message>
        <source>The TMK check value from the key sheet</source>
        <translation>密钥单上的主密钥校验值</translation>
    </message>
    <message>
        <source>The TMK slot from the key sheet</source>
        <translation>密钥单上的主密钥索引（存放位置）</translation>
    </message>
    <message>
        <source>Notes:</source>
        <translation>备注：</translation>
    </message>
    <message>
        <source>15 digits</source>
        <translation>15 位数字</translation>
    </message>
    <message>
        <source>8 letters or digits</source>
        <translation>8 位字母或数字</translation>
    </message>
    <message>
        <source>&amp;Import...</source>
        <translation>导入(&amp;I)…</translation>
    </message>
    <message>
        <source>Ctrl+O</source>
        <translation>Ctrl+O</translation>
    </message>
    <message>
        <source>Clear</source>
        <translation>清空</translation>
    </message>
</context>
</TS>
